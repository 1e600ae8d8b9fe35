"""Regression tests for what the fault scenarios (scripts/faults/) found."""

import ast
import random
import re
import threading
import time
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.db import OperationalError, connection

from eventstore.management.commands.relay_outbox import Command as RelayCommand
from tasks import representations
from tasks.models import Task
from tests.conftest import Team, requires_postgres, requires_redis


@requires_redis
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_cache_rewrite_after_the_commit_does_not_turn_the_write_into_a_500(
    team: Team, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # postgres_restart.py: the connection died between the commit and the cache rewrite; the
    # robust on_commit hook failed, and Django's logging of it failed on a functools.partial.
    def connection_lost(task_id: int) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(representations, "render_task", connection_lost)
    response = team.client("member").post(
        "/api/v1/tasks/", {"project": team.project.pk, "title": "committed"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert Task.objects.filter(title="committed").exists()
    assert "Error calling" in caplog.text  # logged by Django, not raised


class BrokenListener:
    def notifies(self, **kwargs: Any) -> Any:
        raise psycopg.OperationalError("consuming input failed: server closed the connection")

    def close(self) -> None:
        pass


def test_the_relay_survives_its_listen_connection_breaking() -> None:
    # postgres_restart.py: the relay process died with the LISTEN connection when PostgreSQL
    # restarted; now it waits and listens again.
    assert RelayCommand()._wait(BrokenListener(), 0.01) is None  # type: ignore[arg-type]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_running_relay_keeps_running_when_postgresql_drops_its_connections(team: Team) -> None:
    failures: list[BaseException] = []

    def relay() -> None:
        try:
            call_command("relay_outbox", poll_seconds=0.5, max_seconds=4)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=relay)
    worker.start()
    time.sleep(1.0)
    # What a restart does to the relay's LISTEN connection (only that one: the pooled
    # connections of the test process itself must survive for the tests after this one).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query LIKE 'LISTEN %%'"
        )
        assert cursor.fetchone()[0] == 1
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert failures == []


def _fault_load_password_and_labels() -> tuple[str, set[str]]:
    faults = settings.BASE_DIR.parent.parent / "scripts" / "faults"
    tree = ast.parse((faults / "load.py").read_text())
    password = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", None) == "PASSWORD"
        and isinstance(node.value, ast.Constant)
    )
    labels = {
        label
        for script in faults.glob("*.py")
        for label in re.findall(r'label="([^"]+)"', script.read_text())
    }
    return password, labels


def test_the_fault_load_password_passes_the_validators_for_any_generated_username() -> None:
    # run_all.py: registration answered 400 ("too similar to the username") for about 1 in 110
    # random "postgres-<hex>" names, and the whole PostgreSQL scenario failed with it.
    password, labels = _fault_load_password_and_labels()
    assert labels  # the scripts still name their loads
    rng = random.Random(20261126)
    User = get_user_model()
    for label in labels:
        for _ in range(500):
            username = f"{label}-{rng.getrandbits(32):08x}"
            validate_password(password, User(username=username, email=f"{username}@example.com"))
