"""If-Match as RFC 9110 writes it (parsed by Django's parse_etags): `*`, one strong or weak
ETag of ours; anything else, an unquoted version included, is 412 and changes nothing."""

from typing import Any

import pytest

from tests.api.test_errors import assert_envelope
from tests.factories import TaskFactory


@pytest.mark.django_db
class TestIfMatchForms:
    @pytest.mark.parametrize("header", ['"1"', 'W/"1"', ' "1" ', "*", " * "])
    def test_the_current_etag_or_a_star_is_accepted(self, team: Any, header: str) -> None:
        # given a task at version 1
        task = TaskFactory(project=team.project)

        # when a member patches it with this If-Match
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "new"}, format="json", HTTP_IF_MATCH=header
        )

        # then the write goes through
        assert response.status_code == 200
        assert response.json()["version"] == 2

    @pytest.mark.parametrize(
        "header",
        [
            "1",  # a version, not an entity-tag: ETags are quoted
            '"1", "2"',  # a list names no single version to expect
            '"1',  # unbalanced quote
            "",
            '"' + "9" * 5000 + '"',  # quoted, still past any version
        ],
    )
    def test_anything_else_is_412(self, team: Any, header: str) -> None:
        # given a task at version 1
        task = TaskFactory(project=team.project, title="kept")

        # when a member patches it with this If-Match
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH=header
        )

        # then it is refused in the envelope and nothing changed
        assert_envelope(response, 412, "precondition_failed")
        task.refresh_from_db()
        assert (task.title, task.version) == ("kept", 1)
