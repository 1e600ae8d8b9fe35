"""The cached principal (caching/principals.py): who the caller is and in which workspaces,
without a query per request, and never stale after a change to the user or their memberships."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caching import generations as gens
from caching import keys, store
from tests.api.test_errors import assert_envelope
from tests.caching.conftest import Lookups
from tests.conftest import client_for, requires_redis
from tests.factories import PASSWORD, TaskFactory, UserFactory

pytestmark = [pytest.mark.django_db, requires_redis]


def _me_queries(client: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/workspaces/")
    return response, len(queries)


def _raw_principal(user_id: int) -> bytes:
    entry_key, _ = gens.resolve(
        keys.principal_key(user_id), [keys.epoch_key(), keys.user_generation_key(user_id)]
    )
    raw = store.run("test", lambda client: client.get(entry_key))
    assert raw, "the principal is cached"
    return bytes(raw)


class TestLookups:
    def test_the_first_request_reads_the_user_and_later_ones_do_not(
        self, team: Any, lookups: Lookups
    ) -> None:
        client = team.client("viewer")
        first, first_queries = _me_queries(client)
        second, second_queries = _me_queries(client)
        assert first.json() == second.json()
        assert (lookups("principal", "miss"), lookups("principal", "hit")) == (1, 1)
        # the cached workspace list and the cached principal: nothing left to ask PostgreSQL
        assert first_queries > 0
        assert second_queries == 0

    def test_the_password_hash_is_never_cached(self, team: Any) -> None:
        team.client("viewer").get("/api/v1/workspaces/")
        raw = _raw_principal(team.viewer.pk)
        assert team.viewer.password.encode() not in raw
        assert team.viewer.username.encode() in raw  # it is the entry, and it holds the user

    def test_without_the_cache_every_request_reads_postgresql(self, team: Any, settings) -> None:
        settings.CACHE_ENABLED = False
        client = team.client("viewer")
        _me_queries(client)
        _, queries = _me_queries(client)
        assert queries >= 2  # the user, the list


class TestChangesAreSeenAtTheNextRequest:
    def test_a_deactivated_user_is_refused(self, team: Any) -> None:
        client = team.client("viewer")
        assert client.get("/api/v1/workspaces/").status_code == 200
        team.viewer.is_active = False
        team.viewer.save()
        assert_envelope(client.get("/api/v1/workspaces/"), 401, "authentication_failed")

    def test_a_deleted_user_is_refused(self, team: Any) -> None:
        client = team.client("outsider")
        assert client.get("/api/v1/auth/me/").status_code == 200
        get_user_model().objects.filter(pk=team.outsider.pk).delete()
        assert_envelope(client.get("/api/v1/auth/me/"), 401, "authentication_failed")

    def test_a_removed_member_loses_the_workspace(self, team: Any) -> None:
        TaskFactory(project=team.project)
        viewer = team.client("viewer")
        assert viewer.get("/api/v1/tasks/").json()["count"] == 1
        assert viewer.get(f"/api/v1/projects/{team.project.pk}/").status_code == 200

        removed = team.client("owner").delete(
            f"/api/v1/workspaces/{team.workspace.pk}/members/{team.viewer.pk}/"
        )

        assert removed.status_code == 204
        assert viewer.get("/api/v1/tasks/").json()["count"] == 0
        assert viewer.get("/api/v1/workspaces/").json()["count"] == 0
        assert viewer.get(f"/api/v1/workspaces/{team.workspace.pk}/").status_code == 404
        assert viewer.get(f"/api/v1/projects/{team.project.pk}/").status_code == 404

    def test_an_added_member_sees_the_workspace(self, team: Any) -> None:
        outsider = team.client("outsider")
        assert outsider.get("/api/v1/workspaces/").json()["count"] == 0
        # the outsider shares no workspace with the owner: the addition is an invitation, and
        # they join by accepting it
        invited = team.client("owner").post(
            f"/api/v1/workspaces/{team.workspace.pk}/members/",
            {"user": team.outsider.pk, "role": "viewer"},
            format="json",
        )
        assert invited.status_code == 202, invited.json()
        added = outsider.post(f"/api/v1/invitations/{invited.json()['id']}/accept/")
        assert added.status_code == 201, added.json()
        assert [w["role"] for w in outsider.get("/api/v1/workspaces/").json()["results"]] == [
            "viewer"
        ]

    def test_a_transfer_shows_both_new_roles(self, team: Any) -> None:
        owner, admin = team.client("owner"), team.client("admin")
        url = f"/api/v1/workspaces/{team.workspace.pk}/"
        assert owner.get(url).json()["role"] == "owner"
        assert admin.get(url).json()["role"] == "admin"

        moved = owner.post(f"{url}transfer/", {"user": team.admin.pk}, format="json")

        assert moved.status_code == 200, moved.json()
        assert owner.get(url).json()["role"] == "admin"  # the previous owner, demoted
        assert admin.get(url).json()["role"] == "owner"

    def test_a_deleted_workspace_leaves_every_members_list(self, team: Any) -> None:
        member = team.client("member")
        assert member.get("/api/v1/workspaces/").json()["count"] == 1
        deleted = team.client("owner").delete(f"/api/v1/workspaces/{team.workspace.pk}/")
        assert deleted.status_code == 204
        assert member.get("/api/v1/workspaces/").json()["count"] == 0


class TestTheUserStaysAUser:
    def test_profile_edits_keep_the_password(self, team: Any) -> None:
        client = client_for(team.outsider)
        client.get("/api/v1/auth/me/")  # cached: the user now comes without its password
        changed = client.patch("/api/v1/auth/me/", {"first_name": "Ada"}, format="json")
        assert changed.status_code == 200, changed.json()
        team.outsider.refresh_from_db()
        assert team.outsider.first_name == "Ada"
        assert team.outsider.check_password(PASSWORD)
        assert client.get("/api/v1/auth/me/").json()["first_name"] == "Ada"

    def test_a_password_change_checks_and_sets_the_real_hash(self, team: Any) -> None:
        client = client_for(team.outsider)
        client.get("/api/v1/auth/me/")
        wrong = client.post(
            "/api/v1/auth/password/",
            {"old_password": "not-it", "new_password": "new-secret-phrase-42"},
            format="json",
        )
        assert_envelope(wrong, 400, "validation_error")
        right = client.post(
            "/api/v1/auth/password/",
            {"old_password": PASSWORD, "new_password": "new-secret-phrase-42"},
            format="json",
        )
        assert right.status_code == 204
        team.outsider.refresh_from_db()
        assert team.outsider.check_password("new-secret-phrase-42")

    def test_writes_record_the_cached_user_as_actor(self, team: Any) -> None:
        client = team.client("member")
        client.get("/api/v1/workspaces/")
        created = client.post(
            "/api/v1/tasks/", {"project": team.project.pk, "title": "From cache"}, format="json"
        )
        assert created.status_code == 201, created.json()
        history = client.get(f"/api/v1/tasks/{created.json()['id']}/history/").json()["results"]
        assert history[0]["actor"] == team.member.pk


def test_a_user_deleted_before_the_first_request_is_refused() -> None:
    user = UserFactory()
    client = client_for(user)
    user.delete()
    assert_envelope(client.get("/api/v1/auth/me/"), 401, "authentication_failed")
