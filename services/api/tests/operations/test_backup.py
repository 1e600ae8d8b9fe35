"""Backups restore into a fresh database with every row, intact streams and rebuildable
projections (scripts/backup.py, behind make backup / restore / backup-verify)."""

import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from eventstore import relay
from tests.conftest import requires_postgres
from tests.eventstore.test_projections import busy_workspace

SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "backup.py"
RESTORED = "test_taskboard_restore_check"

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def restored_url() -> Any:
    url = _url(RESTORED)
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')
    yield url
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')


def test_backup_restores_completely_and_verifies(
    team: Any, tmp_path: Path, restored_url: str
) -> None:
    # Given: a workspace with tasks, comments, deletions and a published outbox
    busy_workspace(team)
    relay.drain()
    source = _url(connection.settings_dict["NAME"])

    # When: it is backed up and restored into a new database
    made = _run("backup", "--database-url", source, "--to", str(tmp_path / "b1"))
    assert made.returncode == 0, made.stderr
    restored = _run("restore", "--from", str(tmp_path / "b1"), "--database-url", restored_url)
    assert restored.returncode == 0, restored.stderr
    verified = _run("verify", "--from", str(tmp_path / "b1"), "--database-url", restored_url)

    # Then: counts match, streams are whole, and the rebuilt projections equal the restored ones
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "with gaps: 0" in verified.stdout
    assert "Restore verified." in verified.stdout
    with psycopg.connect(restored_url) as conn:
        assert conn.execute("SELECT count(*) FROM tasks_task").fetchone()[0] == 5  # type: ignore[index]


def test_a_corrupted_backup_is_refused(team: Any, tmp_path: Path, restored_url: str) -> None:
    busy_workspace(team)
    source = _url(connection.settings_dict["NAME"])
    assert _run("backup", "--database-url", source, "--to", str(tmp_path / "b")).returncode == 0
    with (tmp_path / "b" / "database.dump").open("r+b") as dump:
        dump.seek(200)
        dump.write(b"\x00\x01\x02\x03")
    refused = _run("restore", "--from", str(tmp_path / "b"), "--database-url", restored_url)
    assert refused.returncode != 0
    assert "checksum" in refused.stderr


def test_restore_never_overwrites_an_existing_database(team: Any, tmp_path: Path) -> None:
    source = _url(connection.settings_dict["NAME"])
    assert _run("backup", "--database-url", source, "--to", str(tmp_path / "b")).returncode == 0
    refused = _run("restore", "--from", str(tmp_path / "b"), "--database-url", source)
    assert refused.returncode != 0
    assert "restore into a new database" in refused.stderr
