"""The server's floor: a bare WSGI callable answering the cached list's bytes under the same
Gunicorn (services/api/gunicorn.conf.py), behind the same nginx.

No framework at all: no Django, no middleware, no log line, no metrics. What a request costs in
Gunicorn's HTTP handling alone, and so the most any Python application behind this Gunicorn can
answer on the benchmark's one server core. `make bench` reports it as its own row so that a
target set as a share of nginx's static ceiling can be read against what the server itself
allows. Every path answers the same bytes (the benchmark's readiness probe included).
"""

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_BODY = Path(os.environ["BENCH_FLOOR_FILE"]).read_bytes()
_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", _HEADERS)
    return [_BODY]
