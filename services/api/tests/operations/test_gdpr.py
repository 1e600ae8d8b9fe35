"""Data-subject requests: `manage.py user_export` and `manage.py user_erase`, and the one UPDATE
of events the append-only trigger allows for an erasure (eventstore/migrations/0003)."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from accounts.models import Profile
from eventstore.erasure import ERASED, erase_personal_data
from eventstore.models import Event
from tasks.models import Comment, Task
from tests.conftest import Team, client_for, requires_postgres
from tests.eventstore.test_projections import read_model_state
from tests.factories import PASSWORD
from workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_throttles")]

ADDRESS = "203.0.113.7"
AGENT = "Mozilla/5.0 (Erin's laptop)"


def _as_erin(client: APIClient) -> dict[str, str]:
    return {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT}


@pytest.fixture
def erin(team: Team) -> Any:
    """The member, called Erin here: she creates and is assigned tasks, comments, edits a
    comment, and has a workspace of her own. Others act in the same workspace."""
    user = team.member
    user.first_name, user.email = "Erin", "erin@example.com"
    user.save()
    Profile.objects.filter(user=user).update(display_name="Erin E.", bio="Likes trains")
    client = client_for(user)
    extra = _as_erin(client)
    created = client.post(
        "/api/v1/tasks/",
        {"project": team.project.pk, "title": "Erin's task", "assignee": user.pk},
        format="json",
        **extra,
    ).json()
    comment = client.post(
        f"/api/v1/tasks/{created['id']}/comments/",
        {"body": "Call me on 555-0100"},
        format="json",
        **extra,
    ).json()
    client.patch(
        f"/api/v1/tasks/{created['id']}/comments/{comment['id']}/",
        {"body": "Call me on 555-0199"},
        format="json",
        **extra,
    )
    others = (
        team.client("admin")
        .post(
            "/api/v1/tasks/",
            {"project": team.project.pk, "title": "Admin's task", "assignee": user.pk},
            format="json",
            REMOTE_ADDR="198.51.100.1",
            HTTP_USER_AGENT="admin-agent",
        )
        .json()
    )
    team.client("admin").post(
        f"/api/v1/tasks/{others['id']}/comments/", {"body": "admin says hi"}, format="json"
    )
    own = client.post(
        "/api/v1/workspaces/", {"name": "Erin's diary"}, format="json", **extra
    ).json()
    own_project = client.post(
        "/api/v1/projects/", {"workspace": own["id"], "name": "Diary"}, format="json", **extra
    ).json()
    client.post(
        "/api/v1/tasks/", {"project": own_project["id"], "title": "Dentist"}, format="json", **extra
    )
    return user


def _export(username: str, **options: Any) -> dict[str, Any]:
    out = io.StringIO()
    call_command("user_export", username, stdout=out, **options)
    return json.loads(out.getvalue())


class TestExport:
    def test_holds_everything_about_the_user(self, team: Team, erin: Any) -> None:
        document = _export(erin.username)

        assert document["user"]["email"] == "erin@example.com"
        assert document["profile"]["bio"] == "Likes trains"
        assert {m["workspace"] for m in document["memberships"]} == {
            team.workspace.name,
            "Erin's diary",
        }
        assert {t["title"] for t in document["tasks_created"]} == {"Erin's task", "Dentist"}
        assert {t["title"] for t in document["tasks_assigned"]} == {"Erin's task", "Admin's task"}
        assert [c["body"] for c in document["comments"]] == ["Call me on 555-0199"]
        types = [e["type"] for e in document["events"]]
        assert "TaskCommentEdited" in types and "WorkspaceCreated" in types
        assert {e["ip_address"] for e in document["events"] if e["actor_id"] == erin.pk} == {
            ADDRESS
        }
        # The admin's task names Erin as assignee: its creation is about her too.
        assert any(
            e["type"] == "TaskCreated" and e["actor_id"] == team.admin.pk
            for e in document["events"]
        )
        assert not any(e["data"].get("body") == "admin says hi" for e in document["events"])

    def test_writes_a_private_file(self, erin: Any, tmp_path: Path) -> None:
        target = tmp_path / "erin.json"
        call_command("user_export", erin.username, output=target, stderr=io.StringIO())
        assert target.stat().st_mode & 0o777 == 0o600
        assert json.loads(target.read_text())["user"]["username"] == erin.username

    def test_an_unknown_user_is_an_error(self) -> None:
        with pytest.raises(CommandError, match="No user named"):
            call_command("user_export", "nobody")
        with pytest.raises(CommandError, match="No user"):
            call_command("user_erase", "nobody", "--yes")


class TestErase:
    def test_without_yes_nothing_changes(self, erin: Any) -> None:
        before = _export(erin.username)
        out = io.StringIO()
        call_command("user_erase", erin.username, stdout=out)
        assert "Re-run with --yes" in out.getvalue()
        after = _export(erin.username)
        assert before["events"] == after["events"] and before["user"] == after["user"]

    def test_erases_the_person_and_keeps_the_history_whole(self, team: Team, erin: Any) -> None:
        # Given Erin's activity, and what the read models and the event store hold
        events_before = {e.id: e for e in Event.objects.all()}
        refresh = (
            APIClient()
            .post("/api/v1/auth/token/", {"username": erin.username, "password": PASSWORD})
            .json()["refresh"]
        )
        diary = Workspace.objects.get(name="Erin's diary")

        # When she is erased
        out = io.StringIO()
        call_command("user_erase", erin.username, "--yes", stdout=out)

        # Then the account no longer names or admits anyone
        erin.refresh_from_db()
        assert (erin.username, erin.email, erin.first_name) == (f"erased-{erin.pk}", "", "")
        assert not erin.is_active and not erin.has_usable_password()
        assert Profile.objects.get(user=erin).bio == ""
        assert (
            APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 401
        )
        # ... she left the shared workspace, and her own one is gone
        assert not Membership.objects.filter(user=erin).exists()
        assert not Workspace.objects.filter(pk=diary.pk).exists()
        # ... her comment's text is gone from the read model and from every event
        assert Comment.objects.get(author=erin).body == ERASED
        assert not Event.objects.filter(data__body__startswith="Call me").exists()
        # ... her address and user agent are gone from every event she caused
        hers = Event.objects.filter(actor_id=erin.pk)
        assert hers.exists()
        assert set(hers.values_list("ip_address", "user_agent")) == {(None, "")}
        # ... and the texts of her own workspace
        assert not Event.objects.filter(workspace_id=diary.pk, data__title="Dentist").exists()
        # ... while everyone else's data is untouched
        assert Event.objects.filter(actor_id=team.admin.pk, ip_address="198.51.100.1").exists()
        assert Comment.objects.filter(body="admin says hi").exists()
        assert Task.objects.get(title="Admin's task").assignee_id == erin.pk
        # ... no event was lost or reordered: only erasures and the new leave/delete events
        after = {e.id: e for e in Event.objects.all()}
        assert set(events_before) <= set(after)
        for event_id, before in events_before.items():
            now = after[event_id]
            assert (now.stream, now.version, now.type, now.actor_id, now.occurred_at) == (
                before.stream,
                before.version,
                before.type,
                before.actor_id,
                before.occurred_at,
            )
        assert "Erased" in out.getvalue()

    def test_read_models_rebuilt_from_the_erased_events_are_the_erased_read_models(
        self, erin: Any
    ) -> None:
        call_command("user_erase", erin.username, "--yes", stdout=io.StringIO())
        erased = read_model_state()
        call_command("rebuild_projections", stdout=io.StringIO())
        assert read_model_state() == erased

    def test_replaying_it_by_id_after_a_restore_is_safe(self, erin: Any) -> None:
        call_command("user_erase", erin.username, "--yes", stdout=io.StringIO())
        before = {e.id: (e.ip_address, e.user_agent, e.data) for e in Event.objects.all()}
        out = io.StringIO()
        call_command("user_erase", str(erin.pk), "--by-id", "--yes", stdout=out)
        assert {e.id: (e.ip_address, e.user_agent, e.data) for e in Event.objects.all()} == before
        assert "Erased" in out.getvalue()

    def test_is_refused_for_the_only_owner_of_a_shared_workspace(self, team: Team) -> None:
        before = _export(team.owner.username)
        with pytest.raises(CommandError, match="transfer the ownership first"):
            call_command("user_erase", team.owner.username, "--yes")
        after = _export(team.owner.username)
        assert before["user"] == after["user"] and before["events"] == after["events"]

    def test_a_co_owner_may_be_erased(self, team: Team) -> None:
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)
        call_command("user_erase", team.owner.username, "--yes", stdout=io.StringIO())
        assert Membership.objects.filter(workspace=team.workspace, role=Role.OWNER).count() == 1


@requires_postgres
class TestAppendOnlyTrigger:
    """The trigger still refuses every change but an erasure's."""

    @pytest.fixture
    def event(self, erin: Any) -> Event:
        return Event.objects.filter(actor_id=erin.pk, type="TaskCommented").get()

    def _update(self, sql: str, params: list[Any], *, erasing: bool) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if erasing:
                cursor.execute("SET LOCAL eventstore.erasing = 'on'")
            cursor.execute(sql, params)

    def test_an_ordinary_update_is_refused(self, event: Event) -> None:
        with pytest.raises(DatabaseError, match="append-only"):
            self._update(
                "UPDATE eventstore_event SET ip_address = NULL, user_agent = '' WHERE id = %s",
                [event.id],
                erasing=False,
            )

    @pytest.mark.parametrize(
        "assignment",
        [
            "type = 'TaskDeleted', ip_address = NULL, user_agent = ''",
            "version = version + 100, ip_address = NULL, user_agent = ''",
            "actor_id = NULL, ip_address = NULL, user_agent = ''",
            "occurred_at = now(), ip_address = NULL, user_agent = ''",
            "user_agent = 'another'",
            "ip_address = '10.0.0.1', user_agent = ''",
            "data = jsonb_set(data, '{body}', '\"rewritten\"'), ip_address = NULL, user_agent = ''",
            "data = data || '{\"extra\": 1}', ip_address = NULL, user_agent = ''",
            "data = data - 'body', ip_address = NULL, user_agent = ''",
        ],
        ids=[
            "type",
            "version",
            "actor",
            "time",
            "agent-rewritten",
            "address-rewritten",
            "data-rewritten",
            "data-key-added",
            "data-key-removed",
        ],
    )
    def test_an_erasure_may_change_nothing_else(self, event: Event, assignment: str) -> None:
        with pytest.raises(DatabaseError, match="append-only"):
            self._update(
                f"UPDATE eventstore_event SET {assignment} WHERE id = %s",  # noqa: S608 - fixed
                [event.id],
                erasing=True,
            )

    def test_delete_is_still_refused_while_erasing(self, event: Event) -> None:
        with pytest.raises(DatabaseError, match="append-only"):
            self._update("DELETE FROM eventstore_event WHERE id = %s", [event.id], erasing=True)

    def test_the_erasure_shape_is_allowed(self, event: Event) -> None:
        assert erase_personal_data(event_ids=[event.id], data_fields={event.id: ["body"]}) == 1
        event.refresh_from_db()
        assert (event.ip_address, event.user_agent, event.data["body"]) == (None, "", ERASED)

    def test_erasing_is_off_again_afterwards(self, event: Event) -> None:
        with transaction.atomic():
            erase_personal_data(event_ids=[event.id])
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                Event.objects.filter(pk=event.pk).update(type="Other")
