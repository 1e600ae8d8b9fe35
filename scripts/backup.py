"""Backups of the platform's database and event archives, restores, and restore verification.

    backup  --database-url URL --to DIR [--archives DIR]
        pg_dump (custom format) taken from an exported snapshot, so the row counts recorded in
        the manifest are those of the dump itself; the event archive folder is copied beside it;
        every file gets a SHA-256 in manifest.json.
    restore --from DIR --database-url URL
        checks every checksum, creates the target database (it must not exist), pg_restore.
    verify  --from DIR --database-url URL
        on a restored database: row counts equal the manifest's, every event stream's versions
        are contiguous, and the task read models rebuilt from the restored events equal the
        restored read models.

`make backup`, `make restore` and `make backup-verify` wrap these (docs/operations.md).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
API_DIR = ROOT / "services" / "api"
DUMP = "database.dump"
MANIFEST = "manifest.json"

# The tables whose row counts prove a restore complete.
COUNTED_TABLES = [
    "auth_user",
    "accounts_profile",
    "workspaces_workspace",
    "workspaces_membership",
    "workspaces_project",
    "workspaces_label",
    "tasks_task",
    "tasks_task_labels",
    "tasks_comment",
    "eventstore_event",
    "eventstore_snapshot",
    "eventstore_outboxmessage",
]

# Read models rebuilt from the events, compared before and after a rebuild.
READ_MODEL_QUERIES = {
    "tasks": "SELECT id, project_id, workspace_id, title, description, status, priority, "
    "assignee_id, due_date, version, created_by_id, created_at, updated_at FROM tasks_task",
    "task_labels": "SELECT task_id, label_id FROM tasks_task_labels",
    "comments": "SELECT id, task_id, author_id, body, created_at, updated_at FROM tasks_comment",
}


def _count_query(table: str) -> sql.Composed:
    """The row count of a table; its name is quoted as an identifier (a manifest is a file,
    and a table name in it must not become SQL)."""
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def libpq_env(url: str) -> dict[str, str]:
    """pg_dump and pg_restore take the password from the environment, never the command line."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


def without_password(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc}" if user else netloc))


def backup(database_url: str, folder: Path, archives: Path | None) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=False)
    with psycopg.connect(database_url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        counts = {
            table: conn.execute(_count_query(table)).fetchone()[0]  # type: ignore[index]
            for table in COUNTED_TABLES
        }
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
                f"--file={folder / DUMP}",
                f"--dbname={without_password(database_url)}",
            ],
            env=libpq_env(database_url),
            check=True,
        )
        conn.rollback()
    files = {DUMP: sha256(folder / DUMP)}
    if archives is not None and archives.exists():
        shutil.copytree(archives, folder / "event-archives")
        for path in sorted((folder / "event-archives").rglob("*")):
            if path.is_file():
                files[str(path.relative_to(folder))] = sha256(path)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "format": "pg_dump custom",
        "row_counts": counts,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def check_files(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / MANIFEST).read_text())
    for name, checksum in manifest["files"].items():
        if sha256(folder / name) != checksum:
            raise SystemExit(f"{folder / name} does not match its checksum: refusing to restore")
    return manifest


def restore(folder: Path, database_url: str) -> None:
    check_files(folder)
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            raise SystemExit(f"database {name} exists: restore into a new database")
        admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={without_password(database_url)}",
            str(folder / DUMP),
        ],
        env=libpq_env(database_url),
        check=True,
    )


def _read_models(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: sorted(conn.execute(sql).fetchall()) for name, sql in READ_MODEL_QUERIES.items()}


def verify(folder: Path, database_url: str) -> list[str]:
    manifest = check_files(folder)
    problems: list[str] = []
    with psycopg.connect(database_url) as conn:
        for table, expected in manifest["row_counts"].items():
            actual = conn.execute(_count_query(table)).fetchone()[0]  # type: ignore[index]
            print(f"  {table:<28} {actual:>8} rows (backup: {expected})")
            if actual != expected:
                problems.append(f"{table}: {actual} rows, expected {expected}")
        gaps = conn.execute(
            "SELECT e.stream FROM eventstore_event e GROUP BY e.stream "
            "HAVING max(e.version) - min(e.version) + 1 <> count(*) "
            "OR (min(e.version) > 1 AND NOT EXISTS "
            "(SELECT 1 FROM eventstore_snapshot s WHERE s.stream = e.stream))"
        ).fetchall()
        streams = conn.execute("SELECT count(DISTINCT stream) FROM eventstore_event").fetchone()[0]  # type: ignore[index]
        print(f"  event streams checked: {streams}, with gaps: {len(gaps)}")
        problems += [f"stream {row[0]} has a gap in its versions" for row in gaps]
        restored = _read_models(conn)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.development",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "rebuild_projections"], cwd=API_DIR, env=env, check=True
    )
    with psycopg.connect(database_url) as conn:
        rebuilt = _read_models(conn)
    for name in READ_MODEL_QUERIES:
        same = restored[name] == rebuilt[name]
        print(f"  {name:<28} rebuilt from events {'equals' if same else 'DIFFERS FROM'} restored")
        if not same:
            problems.append(f"{name}: rebuilt projection differs from the restored read model")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup")
    make.add_argument("--database-url", required=True)
    make.add_argument("--to", type=Path, required=True)
    make.add_argument("--archives", type=Path)
    for name in ("restore", "verify"):
        step = sub.add_parser(name)
        step.add_argument("--from", dest="folder", type=Path, required=True)
        step.add_argument("--database-url", required=True)
    args = parser.parse_args()
    if args.command == "backup":
        manifest = backup(args.database_url, args.to, args.archives)
        print(
            f"Backup in {args.to}: {len(manifest['files'])} files, "
            f"{manifest['row_counts']['eventstore_event']} events"
        )
        return 0
    if args.command == "restore":
        restore(args.folder, args.database_url)
        print(f"Restored {args.folder} into {without_password(args.database_url)}")
        return 0
    problems = verify(args.folder, args.database_url)
    for problem in problems:
        print(f"FAIL {problem}")
    print("Restore verified." if not problems else f"{len(problems)} problems.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
