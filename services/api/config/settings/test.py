"""The test suite: real PostgreSQL and Redis when reachable (CI has both), else embedded.

TEST_DATABASE_URL / TEST_REDIS_URL point elsewhere; REQUIRE_REAL_SERVICES=1 (set by CI) turns a
missing server into a failure instead of a fallback, so a green CI run always means the suite
ran against the real servers. TEST_EMBEDDED=1 (`make test-embedded`) is the opposite: SQLite,
process-local caches and the in-memory channel layer even when the servers answer, so the suite
proves the zero-dependency defaults that `make dev` runs on.
"""

import os
import socket
from urllib.parse import urlsplit

from .env import env


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 0.5):
            return True
    except OSError:
        return False


_database_url = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/taskboard")
_redis_url = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/9")
_require = env.bool("REQUIRE_REAL_SERVICES", default=False)
EMBEDDED = env.bool("TEST_EMBEDDED", default=False)

if EMBEDDED and _require:
    raise RuntimeError("TEST_EMBEDDED and REQUIRE_REAL_SERVICES contradict each other")
for _name, _url in (("PostgreSQL", _database_url), ("Redis", _redis_url)):
    if _require and not _reachable(_url):
        raise RuntimeError(f"REQUIRE_REAL_SERVICES is set but {_name} at {_url} is unreachable")

# The concern modules read the environment at import: set it before importing them.
if EMBEDDED:
    # A DATABASE_URL / REDIS_URL exported in the shell must not bring the servers back.
    for _variable in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH"):
        os.environ.pop(_variable, None)
else:
    if _reachable(_database_url):
        os.environ["DATABASE_URL"] = _database_url
    if _reachable(_redis_url):
        os.environ["REDIS_URL"] = _redis_url
os.environ.setdefault("CACHE_KEY_PREFIX", "taskboard-test")

from .base import *  # noqa: E402, F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = env("LOG_LEVEL", default="WARNING")  # type: ignore[index]  # noqa: F405
