"""ASGI entry point of the realtime service (daphne config.asgi:application).

WebSockets go to the realtime package (/ws/v1/); plain HTTP goes to the same Django application
as the api service, so /healthz, /readyz and /metrics answer on the Daphne port too.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# services/realtime sits beside services/api; the image puts both on PYTHONPATH, a checkout
# started from services/api may not.
_REALTIME_DIR = Path(__file__).resolve().parents[2] / "realtime"
if _REALTIME_DIR.is_dir() and str(_REALTIME_DIR) not in sys.path:
    sys.path.append(str(_REALTIME_DIR))

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# Django is set up (apps loaded) before anything imports models.
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

from realtime import inprocess_relay, server  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": websocket_application(),
    }
)

server.install()
if settings.OUTBOX_RELAY_IN_PROCESS:
    # `make dev`: one process serves HTTP and WebSockets and publishes the outbox.
    inprocess_relay.start()
