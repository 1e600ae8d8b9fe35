"""Projects and labels: CRUD, the ?workspace= filter, the role matrix, and what outsiders learn."""

from typing import Any

import pytest

from tests.conftest import ROLES
from tests.factories import LabelFactory, MembershipFactory, ProjectFactory, WorkspaceFactory
from workspaces.models import Label, Project, Role

PROJECTS = "/api/v1/projects/"
LABELS = "/api/v1/labels/"
MISSING_ID = 2_147_483_647


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error envelope, with this status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    assert error["request_id"] == response["X-Request-ID"]
    return error


def project_rows() -> list[tuple[Any, ...]]:
    return list(
        Project.objects.order_by("id").values_list("id", "workspace_id", "name", "description")
    )


def label_rows() -> list[tuple[Any, ...]]:
    return list(Label.objects.order_by("id").values_list("id", "workspace_id", "name", "color"))


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def label(team: Any) -> Label:
    return LabelFactory(workspace=team.workspace, name="bug", color="#ff0000")


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestProjectRead:
    def test_list_spans_my_workspaces_and_filters_by_workspace(self, team: Any) -> None:
        # given the member also views a second workspace with its own project, and a project
        # in a workspace they are not in
        second = MembershipFactory(user=team.member, role=Role.VIEWER).workspace
        second_project = ProjectFactory(workspace=second)
        extra = ProjectFactory(workspace=team.workspace)
        ProjectFactory()
        client = team.client("member")

        # when they list projects, unfiltered and filtered by each workspace
        everything = ids(client.get(PROJECTS))
        first_only = ids(client.get(PROJECTS, {"workspace": team.workspace.pk}))
        second_only = ids(client.get(PROJECTS, {"workspace": second.pk}))

        # then they see exactly the projects of their workspaces, newest first
        assert everything == [extra.pk, second_project.pk, team.project.pk]
        assert first_only == [extra.pk, team.project.pk]
        assert second_only == [second_project.pk]

    def test_filter_on_a_workspace_i_am_not_in_returns_nothing(self, team: Any) -> None:
        # given a workspace the member is not in, with a project
        foreign = ProjectFactory().workspace

        # when the member filters on it
        response = team.client("member").get(PROJECTS, {"workspace": foreign.pk})

        # then nothing comes back
        assert ids(response) == []

    @pytest.mark.parametrize("url", [PROJECTS, LABELS])
    def test_filter_does_not_reveal_which_workspace_ids_exist(self, team: Any, url: str) -> None:
        # given a workspace the outsider is not in, and an id that exists nowhere
        client = team.client("outsider")

        # when the outsider filters on each
        on_hidden = client.get(url, {"workspace": team.workspace.pk})
        on_missing = client.get(url, {"workspace": MISSING_ID})

        # then both get the same answer (whatever it is) and nothing of the workspace
        def answer(response: Any) -> tuple[int, Any]:
            body = response.json()
            if "error" in body:
                body["error"].pop("request_id")
                body["error"]["details"] = sorted(body["error"]["details"])
            return response.status_code, body

        assert answer(on_hidden) == answer(on_missing)
        if on_hidden.status_code == 200:
            assert on_hidden.json()["results"] == []

    def test_filter_with_a_malformed_id_is_a_validation_error(self, team: Any) -> None:
        # when the member filters on something that is not an id
        response = team.client("member").get(PROJECTS, {"workspace": "abc"})

        # then 400 on the workspace parameter
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == ["workspace"]

    @pytest.mark.parametrize("role", ROLES)
    def test_any_member_retrieves(self, team: Any, role: str) -> None:
        # when a member of any role retrieves the team's project
        response = team.client(role).get(f"{PROJECTS}{team.project.pk}/")

        # then it comes back with its fields
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "workspace", "name", "description", "created_at", "updated_at"}
        assert (body["id"], body["workspace"], body["name"]) == (
            team.project.pk,
            team.workspace.pk,
            team.project.name,
        )

    def test_outsider_gets_404_like_a_missing_project(self, team: Any) -> None:
        # when the outsider retrieves an existing project and a missing one
        client = team.client("outsider")
        hidden = assert_error(client.get(f"{PROJECTS}{team.project.pk}/"), 404, "not_found")
        missing = assert_error(client.get(f"{PROJECTS}{MISSING_ID}/"), 404, "not_found")

        # then both answers are the same but for the request id
        hidden.pop("request_id")
        missing.pop("request_id")
        assert hidden == missing

    def test_outsider_lists_nothing(self, team: Any) -> None:
        # when the outsider lists projects
        # then none of the team's show
        assert ids(team.client("outsider").get(PROJECTS)) == []


@pytest.mark.django_db
class TestProjectWrite:
    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_create(self, team: Any, role: str) -> None:
        # when an admin or owner creates a project in their workspace
        response = team.client(role).post(
            PROJECTS,
            {"workspace": team.workspace.pk, "name": "Roadmap", "description": "2030"},
            format="json",
        )

        # then it is stored with its creator and returned
        assert response.status_code == 201, response.content
        body = response.json()
        project = Project.objects.get(pk=body["id"])
        assert (project.workspace_id, project.name, project.description) == (
            team.workspace.pk,
            "Roadmap",
            "2030",
        )
        assert project.created_by_id == team.user(role).pk
        assert (body["workspace"], body["name"], body["description"]) == (
            team.workspace.pk,
            "Roadmap",
            "2030",
        )

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_may_not_create(self, team: Any, role: str) -> None:
        before = project_rows()

        # when a member or viewer creates a project
        response = team.client(role).post(
            PROJECTS, {"workspace": team.workspace.pk, "name": "Nope"}, format="json"
        )

        # then 403 and no project was made
        assert_error(response, 403, "permission_denied")
        assert project_rows() == before

    @pytest.mark.parametrize("workspace", ["hidden", "missing"])
    def test_naming_an_invisible_workspace_reads_as_nonexistent(
        self, team: Any, workspace: str
    ) -> None:
        # given the team's workspace (invisible to the outsider) or an id that exists nowhere
        workspace_id = team.workspace.pk if workspace == "hidden" else MISSING_ID
        before = project_rows()

        # when the outsider creates a project in it
        response = team.client("outsider").post(
            PROJECTS, {"workspace": workspace_id, "name": "Sneaky"}, format="json"
        )

        # then the workspace field "does not exist", in the same words either way
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {
            "workspace": [f'Invalid pk "{workspace_id}" - object does not exist.']
        }
        assert project_rows() == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "No workspace"}, "workspace"),
            ({"workspace": "WS"}, "name"),
            ({"workspace": "WS", "name": ""}, "name"),
            ({"workspace": "WS", "name": "x" * 121}, "name"),
            ({"workspace": "WS", "name": "ok", "created_by": 1}, "created_by"),
            ({"workspace": "WS", "name": "ok", "id": 1}, "id"),
        ],
        ids=["no-workspace", "no-name", "blank", "too-long", "unknown-field", "read-only"],
    )
    def test_bad_bodies_are_rejected(self, team: Any, payload: dict[str, Any], field: str) -> None:
        body = {k: team.workspace.pk if v == "WS" else v for k, v in payload.items()}
        before = project_rows()

        # when the owner posts an incomplete or over-specified project
        response = team.client("owner").post(PROJECTS, body, format="json")

        # then that field is at fault and nothing was made
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert project_rows() == before

    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_update(self, team: Any, role: str) -> None:
        # when an admin or owner renames the project
        response = team.client(role).patch(
            f"{PROJECTS}{team.project.pk}/", {"name": "Renamed"}, format="json"
        )

        # then it is stored and returned
        assert response.status_code == 200, response.content
        assert response.json()["name"] == "Renamed"
        team.project.refresh_from_db()
        assert team.project.name == "Renamed"

    @pytest.mark.parametrize(
        ("role", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)]
    )
    def test_others_may_not_update(self, team: Any, role: str, status: int) -> None:
        before = project_rows()

        # when a member, viewer or outsider renames the project
        response = team.client(role).patch(
            f"{PROJECTS}{team.project.pk}/", {"name": "Hijacked"}, format="json"
        )

        # then they are refused (or told it does not exist) and nothing changed
        assert_error(response, status, "permission_denied" if status == 403 else "not_found")
        assert project_rows() == before

    def test_a_project_cannot_move_workspace(self, team: Any) -> None:
        # given another workspace the owner also owns
        other = MembershipFactory(user=team.owner, role=Role.OWNER).workspace
        before = project_rows()

        # when the owner patches the project's workspace
        response = team.client("owner").patch(
            f"{PROJECTS}{team.project.pk}/", {"workspace": other.pk}, format="json"
        )

        # then the field is refused and the project stays where it is
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"workspace": ["Unknown field."]}
        assert project_rows() == before

    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_delete(self, team: Any, role: str) -> None:
        # when an admin or owner deletes the project
        response = team.client(role).delete(f"{PROJECTS}{team.project.pk}/")

        # then it is gone
        assert response.status_code == 204
        assert not Project.objects.filter(pk=team.project.pk).exists()

    @pytest.mark.parametrize(
        ("role", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)]
    )
    def test_others_may_not_delete(self, team: Any, role: str, status: int) -> None:
        before = project_rows()

        # when a member, viewer or outsider deletes the project
        response = team.client(role).delete(f"{PROJECTS}{team.project.pk}/")

        # then they are refused (or told it does not exist) and it is still there
        assert_error(response, status, "permission_denied" if status == 403 else "not_found")
        assert project_rows() == before

    def test_admin_of_one_workspace_cannot_create_in_another_they_only_view(
        self, team: Any
    ) -> None:
        # given the admin views a second workspace
        other = MembershipFactory(user=team.admin, role=Role.VIEWER).workspace
        before = project_rows()

        # when they create a project there
        response = team.client("admin").post(
            PROJECTS, {"workspace": other.pk, "name": "Nope"}, format="json"
        )

        # then their role there decides: 403
        assert_error(response, 403, "permission_denied")
        assert project_rows() == before


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestLabelRead:
    def test_list_spans_my_workspaces_and_filters_by_workspace(self, team: Any) -> None:
        # given labels in the team's workspace, in a second workspace of the member, and elsewhere
        second = MembershipFactory(user=team.member, role=Role.VIEWER).workspace
        zeta = LabelFactory(workspace=team.workspace, name="zeta")
        alpha = LabelFactory(workspace=team.workspace, name="alpha")
        middle = LabelFactory(workspace=second, name="middle")
        LabelFactory(name="aaa-foreign")
        client = team.client("member")

        # when the member lists labels, unfiltered and filtered
        everything = ids(client.get(LABELS))
        first_only = ids(client.get(LABELS, {"workspace": team.workspace.pk}))

        # then exactly their workspaces' labels come back, by name
        assert everything == [alpha.pk, middle.pk, zeta.pk]
        assert first_only == [alpha.pk, zeta.pk]

    @pytest.mark.parametrize("role", ROLES)
    def test_any_member_retrieves(self, team: Any, role: str, label: Label) -> None:
        # when any member retrieves a label
        response = team.client(role).get(f"{LABELS}{label.pk}/")

        # then it comes back
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "workspace", "name", "color", "created_at"}
        assert (body["name"], body["color"], body["workspace"]) == (
            "bug",
            "#ff0000",
            team.workspace.pk,
        )

    @pytest.mark.parametrize("method", ["get", "patch", "delete"])
    def test_outsider_gets_404(self, team: Any, label: Label, method: str) -> None:
        before = label_rows()

        # when the outsider reads or writes the label
        response = getattr(team.client("outsider"), method)(
            f"{LABELS}{label.pk}/", {"name": "x"} if method == "patch" else None, format="json"
        )

        # then it does not exist for them and nothing changed
        assert_error(response, 404, "not_found")
        assert label_rows() == before


@pytest.mark.django_db
class TestLabelWrite:
    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_create_with_the_default_colour(self, team: Any, role: str) -> None:
        # when an admin or owner creates a label without a colour
        response = team.client(role).post(
            LABELS, {"workspace": team.workspace.pk, "name": "urgent"}, format="json"
        )

        # then it gets the default colour
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["workspace"], body["name"], body["color"]) == (
            team.workspace.pk,
            "urgent",
            "#6b7280",
        )
        assert Label.objects.get(pk=body["id"]).color == "#6b7280"

    @pytest.mark.parametrize("color", ["#00ff00", "#ABCDEF", "#a1B2c3"])
    def test_valid_colours_are_stored(self, team: Any, color: str) -> None:
        # when the admin creates a label with a six-digit hex colour
        response = team.client("admin").post(
            LABELS, {"workspace": team.workspace.pk, "name": "c", "color": color}, format="json"
        )

        # then it is stored as given
        assert response.status_code == 201
        assert Label.objects.get(pk=response.json()["id"]).color == color

    @pytest.mark.parametrize(
        "color", ["red", "#12345", "#1234567", "#GGGGGG", "123456", "", "#fff", "#12 456", 123456]
    )
    def test_invalid_colours_are_rejected(self, team: Any, color: Any) -> None:
        before = label_rows()

        # when the admin creates a label with anything but #rrggbb
        response = team.client("admin").post(
            LABELS, {"workspace": team.workspace.pk, "name": "c", "color": color}, format="json"
        )

        # then the colour is at fault and nothing was made
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == ["color"]
        assert label_rows() == before

    @pytest.mark.parametrize("color", ["blue", "#12345z", "#1234567"])
    def test_invalid_colours_are_rejected_on_update(
        self, team: Any, label: Label, color: str
    ) -> None:
        before = label_rows()

        # when the admin recolours a label badly
        response = team.client("admin").patch(
            f"{LABELS}{label.pk}/", {"color": color}, format="json"
        )

        # then the colour is at fault and the label is unchanged
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == ["color"]
        assert label_rows() == before

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_may_not_create(self, team: Any, role: str) -> None:
        before = label_rows()

        # when a member or viewer creates a label
        response = team.client(role).post(
            LABELS, {"workspace": team.workspace.pk, "name": "nope"}, format="json"
        )

        # then 403 and nothing was made
        assert_error(response, 403, "permission_denied")
        assert label_rows() == before

    @pytest.mark.parametrize("workspace", ["hidden", "missing"])
    def test_naming_an_invisible_workspace_reads_as_nonexistent(
        self, team: Any, workspace: str
    ) -> None:
        workspace_id = team.workspace.pk if workspace == "hidden" else MISSING_ID
        before = label_rows()

        # when the outsider creates a label in the team's workspace or in one that does not exist
        response = team.client("outsider").post(
            LABELS, {"workspace": workspace_id, "name": "sneaky"}, format="json"
        )

        # then the workspace "does not exist" either way
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {
            "workspace": [f'Invalid pk "{workspace_id}" - object does not exist.']
        }
        assert label_rows() == before

    def test_duplicate_name_in_one_workspace_is_refused(self, team: Any, label: Label) -> None:
        before = label_rows()

        # when the admin creates a second label with the same name in the same workspace
        response = team.client("admin").post(
            LABELS, {"workspace": team.workspace.pk, "name": label.name}, format="json"
        )

        # then 400 and still one label of that name
        assert_error(response, 400, "validation_error")
        assert label_rows() == before

    def test_duplicate_name_on_create_is_reported_on_the_name_field(
        self, team: Any, label: Label
    ) -> None:
        # when the admin creates a second label with the same name
        response = team.client("admin").post(
            LABELS, {"workspace": team.workspace.pk, "name": label.name}, format="json"
        )

        # then the name field is the one at fault, as on update
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"name": ["A label with this name exists in the workspace."]}

    def test_same_name_in_another_workspace_is_fine(self, team: Any, label: Label) -> None:
        # given the admin also administers a second workspace
        other = MembershipFactory(user=team.admin, role=Role.ADMIN).workspace

        # when they create a label with the same name there
        response = team.client("admin").post(
            LABELS, {"workspace": other.pk, "name": label.name}, format="json"
        )

        # then it is created
        assert response.status_code == 201, response.content
        assert Label.objects.filter(name=label.name).count() == 2

    def test_renaming_onto_an_existing_name_is_refused(self, team: Any, label: Label) -> None:
        # given a second label
        other = LabelFactory(workspace=team.workspace, name="feature")
        before = label_rows()

        # when the admin renames it to the first label's name
        response = team.client("admin").patch(
            f"{LABELS}{other.pk}/", {"name": label.name}, format="json"
        )

        # then the name is at fault and both labels are unchanged
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"name": ["A label with this name exists in the workspace."]}
        assert label_rows() == before

    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_update_and_delete(self, team: Any, role: str, label: Label) -> None:
        client = team.client(role)

        # when an admin or owner renames and recolours the label, then deletes it
        updated = client.patch(
            f"{LABELS}{label.pk}/", {"name": "defect", "color": "#000000"}, format="json"
        )
        label.refresh_from_db()
        stored = (label.name, label.color)
        deleted = client.delete(f"{LABELS}{label.pk}/")

        # then each step took effect
        assert updated.status_code == 200, updated.content
        assert (updated.json()["name"], updated.json()["color"]) == ("defect", "#000000")
        assert stored == ("defect", "#000000")
        assert deleted.status_code == 204
        assert not Label.objects.filter(pk=label.pk).exists()

    @pytest.mark.parametrize("role", ["member", "viewer"])
    @pytest.mark.parametrize("method", ["patch", "delete"])
    def test_members_and_viewers_may_not_change(
        self, team: Any, role: str, method: str, label: Label
    ) -> None:
        before = label_rows()

        # when a member or viewer renames or deletes the label
        response = getattr(team.client(role), method)(
            f"{LABELS}{label.pk}/", {"name": "x"} if method == "patch" else None, format="json"
        )

        # then 403 and it is unchanged
        assert_error(response, 403, "permission_denied")
        assert label_rows() == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"workspace": 1}, "workspace"),
            ({"name": ""}, "name"),
            ({"name": "x" * 51}, "name"),
            ({"id": 9}, "id"),
        ],
        ids=["move", "blank", "too-long", "read-only"],
    )
    def test_bad_updates_are_rejected(
        self, team: Any, label: Label, payload: dict[str, Any], field: str
    ) -> None:
        before = label_rows()

        # when the admin patches a label with a field it cannot take
        response = team.client("admin").patch(f"{LABELS}{label.pk}/", payload, format="json")

        # then that field is at fault and the label is unchanged
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert label_rows() == before


@pytest.mark.django_db
def test_deleting_a_workspace_scoped_object_of_another_workspace_by_id_is_404(team: Any) -> None:
    # given another team's project and label, by id
    foreign_workspace = WorkspaceFactory()
    project = ProjectFactory(workspace=foreign_workspace)
    label = LabelFactory(workspace=foreign_workspace)

    # when the team's owner deletes them
    client = team.client("owner")
    project_response = client.delete(f"{PROJECTS}{project.pk}/")
    label_response = client.delete(f"{LABELS}{label.pk}/")

    # then neither exists for them and both survive
    assert_error(project_response, 404, "not_found")
    assert_error(label_response, 404, "not_found")
    assert Project.objects.filter(pk=project.pk).exists()
    assert Label.objects.filter(pk=label.pk).exists()
