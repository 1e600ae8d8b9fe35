"""Checks that every migration of the project's apps reverses: migrate up, down to zero, up again.

Runs on a scratch PostgreSQL database (created and dropped here) so that the check exercises the
same DDL production runs. MIGRATION_CHECK_DATABASE_URL points at the server; by default the
local one.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

API_DIR = Path(__file__).resolve().parent.parent / "services" / "api"
# Dependents first.
PROJECT_APPS = ["milestones", "caching", "tasks", "workspaces", "accounts", "eventstore"]
SERVER_URL = os.environ.get(
    "MIGRATION_CHECK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
SCRATCH = "taskboard_migration_check"


def manage(*args: str, database_url: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.development",
        "DATABASE_URL": database_url,
    }
    env.pop("REDIS_URL", None)
    print("+ manage.py", " ".join(args), flush=True)
    subprocess.run(
        [sys.executable, "manage.py", *args, "--no-input"], cwd=API_DIR, env=env, check=True
    )


def main() -> int:
    parts = urlsplit(SERVER_URL)
    scratch_url = urlunsplit(parts._replace(path=f"/{SCRATCH}"))
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}"')
        admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    try:
        manage("migrate", "-v", "0", database_url=scratch_url)
        for app in PROJECT_APPS:
            manage("migrate", app, "zero", "-v", "1", database_url=scratch_url)
        manage("migrate", "-v", "0", database_url=scratch_url)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
    print("Every migration of", ", ".join(PROJECT_APPS), "reverses cleanly on PostgreSQL.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
