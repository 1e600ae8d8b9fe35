"""Tasks: CRUD, the role matrix, visibility, versions with ETag and If-Match."""

from typing import Any

import pytest

from tasks.models import Task, TaskPriority
from tests.api.test_errors import assert_envelope
from tests.conftest import ROLES
from tests.factories import (
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)


def create_payload(team: Any, **overrides: Any) -> dict[str, Any]:
    return {"project": team.project.pk, "title": "Write the docs", **overrides}


@pytest.mark.django_db
class TestCreate:
    def test_member_creates_a_task_with_defaults(self, team: Any) -> None:
        response = team.client("member").post("/api/v1/tasks/", create_payload(team), format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "todo"
        assert body["priority"] == "medium"
        assert body["version"] == 1
        assert body["workspace"] == team.workspace.pk
        assert body["created_by"] == team.member.pk
        assert response["ETag"] == '"1"'

    @pytest.mark.parametrize(
        ("role", "status"), [("owner", 201), ("admin", 201), ("member", 201), ("viewer", 403)]
    )
    def test_create_by_role(self, team: Any, role: str, status: int) -> None:
        response = team.client(role).post("/api/v1/tasks/", create_payload(team), format="json")
        assert response.status_code == status
        assert Task.objects.count() == (1 if status == 201 else 0)

    def test_outsider_naming_the_project_is_told_it_does_not_exist(self, team: Any) -> None:
        response = team.client("outsider").post(
            "/api/v1/tasks/", create_payload(team), format="json"
        )
        error = assert_envelope(response, 400, "validation_error")
        assert "does not exist" in error["details"]["project"][0]
        assert Task.objects.count() == 0

    def test_assignee_must_be_a_member_of_the_workspace(self, team: Any) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", create_payload(team, assignee=team.outsider.pk), format="json"
        )
        assert "assignee" in assert_envelope(response, 400, "validation_error")["details"]

    def test_labels_of_another_visible_workspace_are_refused(self, team: Any) -> None:
        other = MembershipFactory(user=team.member).workspace
        foreign_label = LabelFactory(workspace=other)
        response = team.client("member").post(
            "/api/v1/tasks/", create_payload(team, labels=[foreign_label.pk]), format="json"
        )
        assert "labels" in assert_envelope(response, 400, "validation_error")["details"]
        assert Task.objects.count() == 0

    def test_full_payload_round_trips(self, team: Any) -> None:
        label = LabelFactory(workspace=team.workspace)
        payload = create_payload(
            team,
            description="All of it",
            status="in_progress",
            priority="urgent",
            assignee=team.viewer.pk,
            labels=[label.pk],
            due_date="2027-01-31",
        )
        body = team.client("member").post("/api/v1/tasks/", payload, format="json").json()
        for key, value in payload.items():
            assert body[key] == value
        assert Task.objects.get(pk=body["id"]).priority == TaskPriority.URGENT

    @pytest.mark.parametrize(
        "field", [{"version": 9}, {"created_by": 1}, {"workspace": 1}, {"id": 5}, {"owner": 1}]
    )
    def test_mass_assignment_is_refused(self, team: Any, field: dict[str, Any]) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", create_payload(team, **field), format="json"
        )
        assert set(field) <= set(assert_envelope(response, 400, "validation_error")["details"])

    @pytest.mark.parametrize(
        "bad",
        [
            {"title": ""},
            {"title": "x" * 201},
            {"status": "later"},
            {"priority": "3"},
            {"due_date": "soon"},
            {"project": "1; DROP TABLE"},
        ],
    )
    def test_bad_values_are_refused(self, team: Any, bad: dict[str, Any]) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", create_payload(team, **bad), format="json"
        )
        assert set(bad) <= set(assert_envelope(response, 400, "validation_error")["details"])


@pytest.mark.django_db
class TestReadAndVisibility:
    @pytest.mark.parametrize("role", ROLES)
    def test_every_role_reads(self, team: Any, role: str) -> None:
        task = TaskFactory(project=team.project)
        response = team.client(role).get(f"/api/v1/tasks/{task.pk}/")
        assert response.status_code == 200
        assert response["ETag"] == '"1"'

    def test_outsider_gets_404_for_detail_and_sees_nothing_in_lists(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("outsider")
        assert_envelope(client.get(f"/api/v1/tasks/{task.pk}/"), 404, "not_found")
        assert client.get("/api/v1/tasks/").json()["results"] == []
        assert_envelope(client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}), 404, "not_found")
        assert_envelope(client.delete(f"/api/v1/tasks/{task.pk}/"), 404, "not_found")
        assert Task.objects.get(pk=task.pk).title == task.title

    def test_outsider_404_is_identical_to_a_missing_task(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("outsider")
        hidden = client.get(f"/api/v1/tasks/{task.pk}/").json()["error"]
        missing = client.get("/api/v1/tasks/987654/").json()["error"]
        assert {k: v for k, v in hidden.items() if k != "request_id"} == {
            k: v for k, v in missing.items() if k != "request_id"
        }


@pytest.mark.django_db
class TestUpdate:
    @pytest.mark.parametrize(
        ("role", "status"), [("owner", 200), ("admin", 200), ("member", 200), ("viewer", 403)]
    )
    def test_update_by_role(self, team: Any, role: str, status: int) -> None:
        task = TaskFactory(project=team.project, title="before")
        response = team.client(role).patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "after"}, format="json"
        )
        assert response.status_code == status
        task.refresh_from_db()
        assert task.title == ("after" if status == 200 else "before")

    def test_each_changed_field_bumps_the_version(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "new", "status": "done"}, format="json"
        )
        assert response.json()["version"] == 3
        assert response["ETag"] == '"3"'

    def test_unchanged_values_do_not_bump_the_version(self, team: Any) -> None:
        task = TaskFactory(project=team.project, title="same")
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "same"}, format="json"
        )
        assert response.json()["version"] == 1

    def test_if_match_current_version_succeeds(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"status": "done"}, format="json", HTTP_IF_MATCH='"1"'
        )
        assert response.status_code == 200

    def test_if_match_stale_version_is_412_and_changes_nothing(self, team: Any) -> None:
        task = TaskFactory(project=team.project, version=4, title="kept")
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "lost"}, format="json", HTTP_IF_MATCH='"3"'
        )
        assert_envelope(response, 412, "precondition_failed")
        task.refresh_from_db()
        assert (task.title, task.version) == ("kept", 4)

    def test_if_match_garbage_is_412(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH="banana"
        )
        assert_envelope(response, 412, "precondition_failed")

    @pytest.mark.parametrize(
        "header",
        [
            "\u00b2",  # superscript two: str.isdigit() says yes, int() says no (was a 500)
            '"\u0663"',  # Arabic-Indic three: not the ETag "3" this API returned
            "9" * 5000,  # past int()'s digit limit (was a 500)
            "99999999999999999999",  # past any version the column can hold
        ],
    )
    def test_if_match_that_is_no_etag_of_ours_is_412(self, team: Any, header: str) -> None:
        task = TaskFactory(project=team.project, title="kept")
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH=header
        )
        assert_envelope(response, 412, "precondition_failed")
        task.refresh_from_db()
        assert task.title == "kept"

    def test_without_if_match_last_write_wins(self, team: Any) -> None:
        task = TaskFactory(project=team.project, version=7)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "mine"}, format="json"
        )
        assert response.json()["version"] == 8

    def test_project_cannot_be_moved(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        other = ProjectFactory(workspace=team.workspace)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"project": other.pk}, format="json"
        )
        assert "project" in assert_envelope(response, 400, "validation_error")["details"]

    def test_assign_and_unassign(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("member")
        assert (
            client.patch(
                f"/api/v1/tasks/{task.pk}/", {"assignee": team.viewer.pk}, format="json"
            ).json()["assignee"]
            == team.viewer.pk
        )
        assert (
            client.patch(f"/api/v1/tasks/{task.pk}/", {"assignee": None}, format="json").json()[
                "assignee"
            ]
            is None
        )

    def test_relabel_counts_as_one_change(self, team: Any) -> None:
        first, second = (
            LabelFactory(workspace=team.workspace),
            LabelFactory(workspace=team.workspace),
        )
        task = TaskFactory(project=team.project, labels=[first])
        body = (
            team.client("member")
            .patch(f"/api/v1/tasks/{task.pk}/", {"labels": [first.pk, second.pk]}, format="json")
            .json()
        )
        assert sorted(body["labels"]) == sorted([first.pk, second.pk])
        assert body["version"] == 2


@pytest.mark.django_db
class TestDelete:
    @pytest.mark.parametrize(
        ("role", "creator_role", "status"),
        [
            ("owner", "member", 204),
            ("admin", "member", 204),
            ("member", "member", 204),
            ("member", "admin", 403),
            ("viewer", "member", 403),
        ],
    )
    def test_delete_matrix(self, team: Any, role: str, creator_role: str, status: int) -> None:
        task = TaskFactory(project=team.project, created_by=team.user(creator_role))
        response = team.client(role).delete(f"/api/v1/tasks/{task.pk}/")
        assert response.status_code == status
        assert Task.objects.filter(pk=task.pk).exists() == (status != 204)

    def test_creator_demoted_to_viewer_cannot_delete(self, team: Any) -> None:
        task = TaskFactory(project=team.project, created_by=team.viewer)
        assert_envelope(
            team.client("viewer").delete(f"/api/v1/tasks/{task.pk}/"), 403, "permission_denied"
        )

    def test_delete_with_stale_if_match_is_412(self, team: Any) -> None:
        task = TaskFactory(project=team.project, version=2)
        response = team.client("owner").delete(f"/api/v1/tasks/{task.pk}/", HTTP_IF_MATCH='"1"')
        assert_envelope(response, 412, "precondition_failed")
        assert Task.objects.filter(pk=task.pk).exists()


@pytest.mark.django_db
def test_assignee_deleted_sets_null_and_project_deleted_cascades(team: Any) -> None:
    assignee = UserFactory()
    MembershipFactory(workspace=team.workspace, user=assignee)
    task = TaskFactory(project=team.project, assignee=assignee)
    assignee.delete()
    task.refresh_from_db()
    assert task.assignee is None
    team.project.delete()
    assert not Task.objects.filter(pk=task.pk).exists()
