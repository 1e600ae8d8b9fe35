"""End to end in a real browser: the live board page signs in, follows a project, and shows a
change made through the REST API as it happens (Daphne, the relay and Redis in between)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import requires_postgres, requires_redis
from tests.factories import PASSWORD, TaskFactory
from tests.realtime.browser import CHROMIUM, Browser
from tests.realtime.conftest import token_for
from tests.realtime.processes import Daphne, Relay, wait_for

pytestmark = [
    requires_redis,
    requires_postgres,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (`make test-e2e-browser` installs it)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def stack(django_db_setup: None) -> Iterator[tuple[Daphne, Relay]]:
    daphne = Daphne()
    relay = Relay()
    yield daphne, relay
    relay.stop()
    daphne.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    instance = Browser()
    yield instance
    instance.close()


def test_a_rest_change_appears_on_the_live_board(
    stack: tuple[Daphne, Relay], browser: Browser, team: Any
) -> None:
    daphne, _ = stack
    task = TaskFactory(project=team.project, title="Write the docs")

    # Given the member signed in on the live board and following the project
    browser.follow_on_the_live_board(
        daphne.http, team.member.username, PASSWORD, team.project.pk, task.pk
    )

    # When someone else changes the task through the REST API
    response = requests.patch(
        f"{daphne.http}/api/v1/tasks/{task.pk}/",
        json={"title": "Docs written", "status": "done"},
        headers={
            "Authorization": f"Bearer {token_for(team.admin)}",
            "X-Request-ID": "e2e-browser-1",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text

    # Then the page shows both events, with the request id, and the card moved and renamed
    browser.wait_for(
        "document.querySelectorAll('#events li[data-request-id=\"e2e-browser-1\"]').length === 2"
    )
    card = browser.wait_for(
        f"""(() => {{
            const card = document.querySelector('[data-task-id="{task.pk}"]');
            return card && {{
                title: card.querySelector('.title').textContent,
                column: card.closest('.column').dataset.status,
                version: card.dataset.version,
            }};
        }})()"""
    )
    assert card == {"title": "Docs written", "column": "done", "version": "3"}
    logged = browser.evaluate(
        "[...document.querySelectorAll('#events li')].map(li => li.dataset.type)"
    )
    # Newest first; the task's creation may show below them when it was relayed after the page
    # subscribed.
    assert logged[:2] == ["TaskStatusChanged", "TaskRenamed"]
    assert browser.console == []
    if os.environ.get("E2E_SCREENSHOT"):
        browser.screenshot(Path(os.environ["E2E_SCREENSHOT"]))


def test_the_page_is_served_with_a_strict_policy(stack: tuple[Daphne, Relay]) -> None:
    daphne, _ = stack
    page = requests.get(f"{daphne.http}/live/", timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<script src="board.js" defer></script>' in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    script = requests.get(f"{daphne.http}/live/board.js", timeout=5)
    assert script.headers["Content-Type"].startswith("text/javascript")


def test_the_board_renews_its_socket_token_and_signs_out_when_sessions_end(
    browser: Browser, team: Any
) -> None:
    # Given a server issuing one-minute access tokens, and the board following a project
    daphne = Daphne(JWT_ACCESS_MINUTES="1")
    try:
        browser.follow_on_the_live_board(
            daphne.http, team.member.username, PASSWORD, team.project.pk
        )

        # When 30 s before the expiry comes, the board refreshes and re-sends its token on the
        # open socket (the server answers `authenticated` a second time), and stays live
        assert wait_for(
            lambda: daphne.metric("ws_messages_sent_total", '{type="authenticated"}') == 2,
            timeout=60,
        )
        assert browser.evaluate("document.getElementById('status').dataset.state") == "live"
        assert daphne.metric("ws_closes_total", '{code="4401"}') == 0

        # When the user logs out everywhere (another device)
        login = requests.post(
            f"{daphne.http}/api/v1/auth/token/",
            json={"username": team.member.username, "password": PASSWORD},
            timeout=10,
        ).json()
        ended = requests.post(
            f"{daphne.http}/api/v1/auth/logout/all/",
            headers={"Authorization": f"Bearer {login['access']}"},
            timeout=10,
        )
        assert ended.status_code == 204

        # Then the socket is closed with 4401, the refresh is refused, and the board signs out
        browser.wait_for("document.getElementById('status').dataset.state === 'signed-out'")
        assert daphne.metric("ws_closes_total", '{code="4401"}') == 1
    finally:
        daphne.stop()
