"""Numbers beyond 64 bits in a path or a filter name nothing, on SQLite as on PostgreSQL.

PostgreSQL compares them with the bigint columns and finds no row; SQLite's driver used to refuse
to bind them at all (OverflowError, a 500). core/sqlite binds them so both answer alike.
"""

from typing import Any

import pytest

from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/workspaces/{HUGE}/",
        f"/api/v1/projects/{HUGE}/",
        f"/api/v1/tasks/{HUGE}/",
        f"/api/v1/tasks/{HUGE}/history/",
        f"/api/v1/tasks/{HUGE}/comments/",
        f"/api/v1/workspaces/{HUGE}/members/",
    ],
)
def test_an_out_of_range_id_in_the_path_is_404(team: Any, path: str) -> None:
    response = team.client("owner").get(path)
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["project", "workspace", "assignee", "label"])
@pytest.mark.parametrize("number", [HUGE, f"-{HUGE}"])
def test_an_out_of_range_filter_matches_nothing(team: Any, query: str, number: str) -> None:
    # Given: a task the member sees
    TaskFactory(project=team.project)
    # When: the list is filtered by a number no id can have
    response = team.client("member").get(f"/api/v1/tasks/?{query}={number}")
    # Then: an empty list, not an error
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
