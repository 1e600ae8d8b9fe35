"""The outbox relay inside the server process (`make dev`): a commit wakes it, and it publishes
on the server's own event loop, where the in-memory channel layer's subscribers wait."""

import asyncio
from typing import Any

import pytest

from eventstore.models import OutboxMessage
from realtime import inprocess_relay
from tests.realtime.conftest import connected, in_sync, run, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def _create_task(team: Any, title: str) -> int:
    response = team.client("member").post(
        "/api/v1/tasks/", {"project": team.project.pk, "title": title}, format="json"
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_a_commit_wakes_the_relay_and_the_subscriber_gets_the_event(
    team: Any, settings: Any
) -> None:
    # A poll far longer than the receive timeout: only the commit's wake-up can deliver in time.
    settings.OUTBOX_POLL_SECONDS = 60.0

    async def scenario() -> None:
        # Given: a subscribed socket and the relay running on this loop
        communicator = await connected(team.member)
        assert (await subscribe(communicator, team.project.pk))["type"] == "subscribed"
        inprocess_relay._spawn()
        try:
            await asyncio.sleep(0.1)  # its first round finds nothing and sleeps
            # When: a task is created through the API
            task_id = await in_sync(_create_task)(team, "live")
            # Then: the socket receives its event, and the outbox row is marked published
            message = await communicator.receive_json_from(timeout=5)
            assert message["type"] == "event"
            assert message["event"]["type"] == "TaskCreated"
            assert message["event"]["stream"] == f"task-{task_id}"
            pending = await in_sync(OutboxMessage.objects.filter(published_at__isnull=True).count)()
            assert pending == 0
        finally:
            inprocess_relay.stop()
            await communicator.disconnect()

    run(scenario)


def test_start_does_nothing_outside_daphne(monkeypatch: Any) -> None:
    # Given: no Daphne server module loaded (a plain import of Django, a worker, a test)
    monkeypatch.delitem(__import__("sys").modules, "daphne.server", raising=False)
    # Then: nothing is scheduled
    assert inprocess_relay.start() is False
