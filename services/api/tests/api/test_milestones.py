"""Milestones over HTTP: CRUD, the required ?project= filter, the role matrix, what outsiders
learn, the error envelope, and a list whose query count does not grow with the page."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from milestones.models import Milestone
from tests.api.test_projects_labels import assert_error, ids
from tests.conftest import ROLES
from tests.factories import MilestoneFactory, ProjectFactory

MILESTONES = "/api/v1/milestones/"
MISSING_ID = 2_147_483_647
HUGE = "99999999999999999999999"  # beyond 64 bits: names nothing, on SQLite as on PostgreSQL
FIELDS = {"id", "project", "name", "due_date", "description", "created_at", "updated_at"}

pytestmark = pytest.mark.django_db


def rows() -> list[tuple[Any, ...]]:
    return list(
        Milestone.objects.order_by("id").values_list(
            "id", "project_id", "name", "due_date", "description"
        )
    )


def detail(milestone: Milestone) -> str:
    return f"{MILESTONES}{milestone.pk}/"


@pytest.fixture
def milestone(team: Any) -> Milestone:
    return MilestoneFactory(project=team.project, name="Beta")


def _without_request_id(error: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in error.items() if key != "request_id"}


class TestList:
    def test_lists_the_projects_milestones_soonest_first(self, team: Any) -> None:
        # given three milestones of the project, created out of date order, and one elsewhere
        later = MilestoneFactory(project=team.project, due_date="2027-06-01")
        sooner = MilestoneFactory(project=team.project, due_date="2027-02-01")
        same_day = MilestoneFactory(project=team.project, due_date="2027-02-01")
        MilestoneFactory(project=ProjectFactory(workspace=team.workspace))

        # when a viewer lists the project's milestones
        response = team.client("viewer").get(MILESTONES, {"project": team.project.pk})

        # then exactly the project's, by due date then id, with the page's count and fields
        assert ids(response) == [sooner.pk, same_day.pk, later.pk]
        assert response.json()["count"] == 3
        assert set(response.json()["results"][0]) == FIELDS

    def test_ordering_and_every_pagination_strategy(self, team: Any) -> None:
        # given five milestones
        made = [MilestoneFactory(project=team.project) for _ in range(5)]
        client = team.client("member")
        query = {"project": team.project.pk, "page_size": 2}

        # when they are read newest first, by limit-offset, and walked by cursor
        newest = ids(client.get(MILESTONES, {**query, "ordering": "-id"}))
        window = ids(client.get(MILESTONES, {**query, "limit": 2, "offset": 2}))
        walked, url = [], f"{MILESTONES}?project={team.project.pk}&page_size=2&pagination=cursor"
        while url:
            page = client.get(url).json()
            walked += [item["id"] for item in page["results"]]
            url = page["next"]

        # then each strategy gives what the contract says
        assert newest == [made[4].pk, made[3].pk]
        assert window == [made[2].pk, made[3].pk]
        assert walked == [m.pk for m in made]

    def test_the_project_filter_is_required(self, team: Any) -> None:
        # when the list is asked for without a project, or with a malformed one
        client = team.client("member")
        missing = assert_error(client.get(MILESTONES), 400, "validation_error")
        malformed = assert_error(
            client.get(MILESTONES, {"project": "abc"}), 400, "validation_error"
        )

        # then 400 on the project parameter
        assert list(missing["details"]) == ["project"]
        assert list(malformed["details"]) == ["project"]

    def test_an_outsider_lists_nothing_as_for_a_missing_project(
        self, team: Any, milestone: Milestone
    ) -> None:
        # when the outsider lists the team's project's milestones, and a missing project's
        client = team.client("outsider")
        hidden = client.get(MILESTONES, {"project": team.project.pk})
        missing = client.get(MILESTONES, {"project": MISSING_ID})

        # then both are the same empty page
        assert ids(hidden) == ids(missing) == []
        assert hidden.json()["count"] == missing.json()["count"] == 0

    @pytest.mark.parametrize("number", [HUGE, f"-{HUGE}"])
    def test_an_out_of_range_project_lists_nothing(self, team: Any, number: str) -> None:
        MilestoneFactory(project=team.project)

        assert ids(team.client("member").get(MILESTONES, {"project": number})) == []


class TestRead:
    @pytest.mark.parametrize("role", ROLES)
    def test_any_member_retrieves(self, team: Any, milestone: Milestone, role: str) -> None:
        response = team.client(role).get(detail(milestone))

        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == FIELDS
        assert (body["id"], body["project"], body["name"]) == (
            milestone.pk,
            team.project.pk,
            "Beta",
        )

    def test_an_outsider_gets_the_404_of_a_missing_milestone(
        self, team: Any, milestone: Milestone
    ) -> None:
        client = team.client("outsider")
        hidden = assert_error(client.get(detail(milestone)), 404, "not_found")
        missing = assert_error(client.get(f"{MILESTONES}{MISSING_ID}/"), 404, "not_found")

        assert _without_request_id(hidden) == _without_request_id(missing)

    def test_an_out_of_range_id_is_404(self, team: Any) -> None:
        assert_error(team.client("owner").get(f"{MILESTONES}{HUGE}/"), 404, "not_found")

    def test_anonymous_requests_are_refused(self, api_client: Any, milestone: Milestone) -> None:
        assert_error(api_client.get(detail(milestone)), 401, "not_authenticated")


class TestCreate:
    @pytest.mark.parametrize("role", ["owner", "admin", "member"])
    def test_members_and_above_create(self, team: Any, role: str) -> None:
        # when a member (or more) creates a milestone in the team's project
        body = {
            "project": team.project.pk,
            "name": "Public beta",
            "due_date": "2027-03-31",
            "description": "Invite the waiting list.",
        }
        response = team.client(role).post(MILESTONES, body, format="json")

        # then it is stored and returned as stored
        assert response.status_code == 201, response.content
        created = response.json()
        assert set(created) == FIELDS
        assert {key: created[key] for key in body} == body
        assert rows() == [
            (
                created["id"],
                team.project.pk,
                "Public beta",
                Milestone._meta.get_field("due_date").to_python("2027-03-31"),
                "Invite the waiting list.",
            )
        ]

    def test_viewers_may_not_create(self, team: Any) -> None:
        response = team.client("viewer").post(
            MILESTONES,
            {"project": team.project.pk, "name": "x", "due_date": "2027-01-01"},
            format="json",
        )

        assert_error(response, 403, "permission_denied")
        assert rows() == []

    def test_naming_an_invisible_project_reads_as_nonexistent(self, team: Any) -> None:
        # when the outsider creates a milestone in the team's project, and in a missing one
        client = team.client("outsider")

        def attempt(project_id: int) -> dict[str, Any]:
            body = {"project": project_id, "name": "x", "due_date": "2027-01-01"}
            error = assert_error(
                client.post(MILESTONES, body, format="json"), 400, "validation_error"
            )
            return _without_request_id(error)

        # then both are the same validation error on `project`, with the id masked, and nothing
        # is stored
        hidden, missing = attempt(team.project.pk), attempt(MISSING_ID)
        assert list(hidden["details"]) == ["project"]
        assert str(hidden).replace(str(team.project.pk), "<id>") == str(missing).replace(
            str(MISSING_ID), "<id>"
        )
        assert rows() == []

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "x"}, "due_date"),
            ({"due_date": "2027-01-01"}, "name"),
            ({"name": "x", "due_date": "31/01/2027"}, "due_date"),
            ({"name": "x" * 121, "due_date": "2027-01-01"}, "name"),
            ({"name": 7, "due_date": "2027-01-01"}, "name"),
            ({"name": "x", "due_date": "2027-01-01", "description": "d" * 2001}, "description"),
            ({"name": "x", "due_date": "2027-01-01", "id": 5}, "id"),
            ({"name": "x", "due_date": "2027-01-01", "colour": "red"}, "colour"),
        ],
    )
    def test_bad_input_is_a_validation_error_on_its_field(
        self, team: Any, body: dict[str, Any], field: str
    ) -> None:
        response = team.client("member").post(
            MILESTONES, {"project": team.project.pk, **body}, format="json"
        )

        error = assert_error(response, 400, "validation_error")
        assert field in error["details"]
        assert rows() == []


class TestUpdate:
    @pytest.mark.parametrize("role", ["owner", "admin", "member"])
    def test_members_and_above_edit(self, team: Any, milestone: Milestone, role: str) -> None:
        response = team.client(role).patch(
            detail(milestone), {"due_date": "2027-12-24", "description": "Later."}, format="json"
        )

        assert response.status_code == 200, response.content
        assert (response.json()["due_date"], response.json()["description"]) == (
            "2027-12-24",
            "Later.",
        )
        milestone.refresh_from_db()
        assert (str(milestone.due_date), milestone.description, milestone.name) == (
            "2027-12-24",
            "Later.",
            "Beta",
        )

    def test_viewers_may_not_edit(self, team: Any, milestone: Milestone) -> None:
        before = rows()

        response = team.client("viewer").patch(detail(milestone), {"name": "x"}, format="json")

        assert_error(response, 403, "permission_denied")
        assert rows() == before

    def test_a_milestone_stays_in_its_project(self, team: Any, milestone: Milestone) -> None:
        other = ProjectFactory(workspace=team.workspace)
        before = rows()

        response = team.client("admin").patch(
            detail(milestone), {"project": other.pk}, format="json"
        )

        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"project": ["Unknown field."]}
        assert rows() == before

    def test_an_outsider_gets_404(self, team: Any, milestone: Milestone) -> None:
        before = rows()

        response = team.client("outsider").patch(detail(milestone), {"name": "x"}, format="json")

        assert_error(response, 404, "not_found")
        assert rows() == before

    def test_put_is_not_part_of_the_contract(self, team: Any, milestone: Milestone) -> None:
        response = team.client("admin").put(
            detail(milestone), {"name": "x", "due_date": "2027-01-01"}, format="json"
        )

        assert_error(response, 405, "method_not_allowed")


class TestDelete:
    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_delete(self, team: Any, milestone: Milestone, role: str) -> None:
        response = team.client(role).delete(detail(milestone))

        assert response.status_code == 204, response.content
        assert rows() == []

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_may_not_delete(
        self, team: Any, milestone: Milestone, role: str
    ) -> None:
        before = rows()

        response = team.client(role).delete(detail(milestone))

        assert_error(response, 403, "permission_denied")
        assert rows() == before

    def test_an_outsider_gets_404(self, team: Any, milestone: Milestone) -> None:
        assert_error(team.client("outsider").delete(detail(milestone)), 404, "not_found")
        assert rows() != []


@pytest.mark.parametrize("strategy", ["", "&pagination=cursor", "&limit={size}&offset=0"])
def test_list_query_count_does_not_grow_with_page_size(team: Any, strategy: str) -> None:
    # given 60 milestones of the project
    for _ in range(60):
        MilestoneFactory(project=team.project)
    client = team.client("viewer")
    client.get("/api/v1/auth/me/")  # the user's principal is cached from now on

    # when the list is fetched with 5 and with 50 results per page (each a miss: its own key)
    counts = []
    for size in (5, 50):
        url = f"{MILESTONES}?project={team.project.pk}&page_size={size}"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + strategy.format(size=size))
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts.append(len(queries))

    # then the number of SQL queries is the same, and small
    assert counts[0] == counts[1], counts
    assert counts[0] <= 4, counts
