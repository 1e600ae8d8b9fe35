"""The database: PostgreSQL with psycopg's connection pool when DATABASE_URL is set, else SQLite
(Django's backend, binding out-of-range integers as PostgreSQL compares them: core/sqlite)."""

from .env import BASE_DIR, env

if env("DATABASE_URL", default=""):
    _database = env.db_url("DATABASE_URL")
    # Django's backend plus a circuit breaker: once getting a connection has failed, requests
    # fail with 503 at once for DB_CIRCUIT_OPEN_SECONDS instead of each waiting the pool timeout.
    _database["ENGINE"] = "core.postgres"
    # Merge into what the URL carried (e.g. ?sslmode=require), never replace it.
    _database["OPTIONS"] = {
        **_database.get("OPTIONS", {}),
        # psycopg's pool keeps warm connections per process; Django then must not hold its own
        # persistent connections (CONN_MAX_AGE 0 is required with the pool).
        "pool": {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            # How long a request waits for a connection. Each worker thread needs one at a time
            # and the pool holds more than the threads, so waiting means PostgreSQL does not
            # answer: fail fast with 503 (Retry-After) rather than hold the request.
            "timeout": env.float("DB_POOL_TIMEOUT", default=2.0),
        },
        "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=5),
    }
    _database["CONN_MAX_AGE"] = 0
    _database["CONN_HEALTH_CHECKS"] = False
else:
    _database = {
        "ENGINE": "core.sqlite",
        "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
        # `make dev` writes from several threads at once (requests on Daphne's thread pool, the
        # in-process outbox relay). SQLite's default deferred transactions take the write lock
        # only at their first write; when another connection is committing, that upgrade fails
        # at once with "database is locked" (SQLite refuses to wait, as waiting could deadlock),
        # which the API answers as 503. IMMEDIATE takes the write lock when the transaction
        # begins, where the busy timeout does wait; WAL lets readers go on while one writes.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,  # seconds a transaction waits for the write lock (Python's default: 5)
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        },
    }

DATABASES = {"default": _database}
DB_CIRCUIT_OPEN_SECONDS = env.float("DB_CIRCUIT_OPEN_SECONDS", default=1.0)
