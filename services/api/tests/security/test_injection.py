"""SQL and header injection attempts: every one is answered without a 5xx, stored (when it is
data) exactly as sent, and never changes a query's meaning, a response header or another row.

Queries are built by the ORM with bound parameters everywhere; the few raw statements
(eventstore/ids.py, archive.py, health.py) take no client input (bandit checks the code:
`make bandit`)."""

import pytest
from django.db import connection

from tasks.models import Task
from tests.api.test_errors import assert_envelope
from tests.conftest import Team
from tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_throttles")]

SQL_PAYLOADS = [
    "' OR '1'='1",
    "1; DROP TABLE tasks_task; --",
    "') UNION SELECT id, username, password FROM auth_user --",
    "1' AND pg_sleep(5) IS NULL --",
    "%' OR 1=1 --",
    '"; DELETE FROM eventstore_event; --',
    "\\'; SELECT 1; --",
]


def _tables_intact() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in ("tasks_task", "auth_user", "eventstore_event", "workspaces_workspace"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def tasks(team: Team) -> list[Task]:
    return [
        TaskFactory(project=team.project, title="100% done"),
        TaskFactory(project=team.project, title="under_score"),
        TaskFactory(project=team.project, title="plain"),
    ]


class TestSqlInjection:
    @pytest.mark.parametrize("payload", SQL_PAYLOADS)
    @pytest.mark.parametrize(
        "parameter",
        ["search", "ordering", "status", "priority", "project", "due_before", "cursor"],
    )
    def test_in_a_task_list_parameter(
        self, team: Team, tasks: list[Task], parameter: str, payload: str
    ) -> None:
        before = _tables_intact()
        response = team.client("viewer").get("/api/v1/tasks/", {parameter: payload})
        assert response.status_code in (200, 400, 404), response.content
        if response.status_code == 200:
            # A payload never widens a query: a search finds only titles that contain it,
            # an unknown ordering is ignored.
            expected = 0 if parameter == "search" else len(tasks)
            assert len(response.json()["results"]) == expected
        else:
            assert response.json()["error"]["code"] in ("validation_error", "not_found")
        assert _tables_intact() == before

    @pytest.mark.parametrize("payload", SQL_PAYLOADS)
    @pytest.mark.parametrize("parameter", ["stream", "type", "actor", "since"])
    def test_in_an_audit_filter(self, team: Team, parameter: str, payload: str) -> None:
        TaskFactory(project=team.project)
        before = _tables_intact()
        response = team.client("admin").get(
            f"/api/v1/workspaces/{team.workspace.pk}/audit/", {parameter: payload}
        )
        assert response.status_code in (200, 400), response.content
        if response.status_code == 200:
            assert response.json()["count"] == 0
        assert _tables_intact() == before

    @pytest.mark.parametrize("payload", SQL_PAYLOADS)
    def test_in_a_body_it_is_stored_and_returned_verbatim(self, team: Team, payload: str) -> None:
        client = team.client("member")
        created = client.post(
            "/api/v1/tasks/",
            {"project": team.project.pk, "title": payload, "description": payload},
            format="json",
        )
        assert created.status_code == 201, created.content
        task_id = created.json()["id"]
        assert client.get(f"/api/v1/tasks/{task_id}/").json()["title"] == payload
        comment = client.post(
            f"/api/v1/tasks/{task_id}/comments/", {"body": payload}, format="json"
        )
        assert comment.json()["body"] == payload
        found = client.get("/api/v1/tasks/", {"search": payload}).json()
        assert [t["id"] for t in found["results"]] == [task_id]
        history = client.get(f"/api/v1/tasks/{task_id}/history/").json()["results"]
        assert history[0]["data"]["title"] == payload

    @pytest.mark.parametrize("path", ["/api/v1/tasks/1 OR 1=1/", "/api/v1/tasks/1;--/"])
    def test_in_a_path_it_is_an_unknown_url(self, team: Team, path: str) -> None:
        assert_envelope(team.client("viewer").get(path), 404, "not_found")

    @pytest.mark.parametrize(("search", "titles"), [("%", ["100% done"]), ("_", ["under_score"])])
    def test_like_wildcards_are_matched_literally(
        self, team: Team, tasks: list[Task], search: str, titles: list[str]
    ) -> None:
        found = team.client("viewer").get("/api/v1/tasks/", {"search": search}).json()
        assert [task["title"] for task in found["results"]] == titles


class TestHeaderInjection:
    @pytest.mark.parametrize(
        "value",
        [
            "abc\r\nSet-Cookie: session=stolen",
            "abc\nX-Injected: 1",
            "a" * 129,
            "<script>alert(1)</script>",
            "' OR '1'='1",
        ],
    )
    def test_a_bad_request_id_is_replaced_not_echoed(self, team: Team, value: str) -> None:
        response = team.client("viewer").get("/api/v1/workspaces/", HTTP_X_REQUEST_ID=value)
        assert response.status_code == 200
        assert response["X-Request-ID"] != value
        assert len(response["X-Request-ID"]) == 32
        assert "Set-Cookie" not in response and "X-Injected" not in response

    def test_a_bad_request_id_never_reaches_the_events(self, team: Team) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/",
            {"project": team.project.pk, "title": "t"},
            format="json",
            HTTP_X_REQUEST_ID="x\r\ny",
            HTTP_X_CORRELATION_ID="c\x00\r\nd",
        )
        history = team.client("admin").get(
            f"/api/v1/workspaces/{team.workspace.pk}/audit/?type=TaskCreated"
        )
        event = history.json()["results"][0]
        assert event["request_id"] == response["X-Request-ID"] != "x\r\ny"
        assert event["correlation_id"] == event["request_id"]

    def test_a_hostile_user_agent_is_stored_as_text(self, team: Team) -> None:
        agent = "'); DROP TABLE eventstore_event; -- <script>"
        before = _tables_intact()
        team.client("member").post(
            "/api/v1/tasks/",
            {"project": team.project.pk, "title": "t"},
            format="json",
            HTTP_USER_AGENT=agent,
        )
        audit = team.client("admin").get(f"/api/v1/workspaces/{team.workspace.pk}/audit/")
        assert audit.json()["results"][0]["user_agent"] == agent
        assert _tables_intact()["eventstore_event"] == before["eventstore_event"] + 1

    def test_an_unknown_host_is_a_400_envelope(self, team: Team) -> None:
        response = team.client("viewer").get("/api/v1/workspaces/", HTTP_HOST="evil.example")
        assert_envelope(response, 400, "bad_request")

    def test_forwarded_host_does_not_reach_the_links(self, team: Team) -> None:
        for _ in range(3):
            TaskFactory(project=team.project)
        response = team.client("viewer").get(
            "/api/v1/tasks/?page_size=1", HTTP_X_FORWARDED_HOST="evil.example"
        )
        assert "evil.example" not in response.json()["next"]

    @pytest.mark.parametrize("value", ['"1" OR 1=1', "1\r\nX: y", "W/", '"-1"'])
    def test_a_malformed_if_match_is_a_412(self, team: Team, value: str) -> None:
        task = TaskFactory(project=team.project, created_by=team.member)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH=value
        )
        assert_envelope(response, 412, "precondition_failed")
        task.refresh_from_db()
        assert task.title != "x"
