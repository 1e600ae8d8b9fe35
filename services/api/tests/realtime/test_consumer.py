"""The /ws/v1/ consumer under Channels' communicator, with the real channel layer, database and
outbox relay: authentication, subscriptions and their access rules, live events, revocation."""

import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import commands as account_commands
from realtime import protocol
from realtime.shutdown import registry
from tests.factories import ProjectFactory, TaskFactory
from tests.realtime.conftest import (
    closed_with,
    connected,
    in_sync,
    publish,
    receive_all,
    run,
    socket,
    subscribe,
    token_for,
)
from workspaces import commands as workspace_commands
from workspaces.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


def _rest_write(
    team: Any, role: str, method: str, path: str, body: dict[str, Any], rid: str
) -> Any:
    client = team.client(role)
    response = getattr(client, method)(path, body, format="json", HTTP_X_REQUEST_ID=rid)
    assert response.status_code in (200, 201), response.content
    return response.json()


class TestAuthentication:
    def test_an_access_token_in_the_first_message_authenticates(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await communicator.send_json_to({"type": "ping"})
            assert await communicator.receive_json_from() == {"type": "pong"}
            await communicator.disconnect()

        run(scenario)

    def test_silence_is_closed_with_4401_after_the_timeout(self, settings: Any) -> None:
        settings.REALTIME_AUTH_TIMEOUT = 0.2

        async def scenario() -> None:
            communicator = await connected()
            assert await closed_with(communicator) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    @pytest.mark.parametrize(
        "first_message",
        [
            {"type": "ping"},
            {"type": "subscribe", "project": 1},
            {"type": "auth", "token": "not-a-jwt"},
            {"type": "auth"},
            "not json",
        ],
    )
    def test_anything_but_a_valid_auth_first_is_closed_with_4401(self, first_message: Any) -> None:
        async def scenario() -> None:
            communicator = await connected()
            if isinstance(first_message, str):
                await communicator.send_to(text_data=first_message)
            else:
                await communicator.send_json_to(first_message)
            assert await closed_with(communicator) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    def test_refresh_tokens_and_expired_access_tokens_are_refused(self, team: Any) -> None:
        refresh = str(RefreshToken.for_user(team.member))
        expired = AccessToken.for_user(team.member)
        expired.set_exp(from_time=timezone.now(), lifetime=-timezone.timedelta(seconds=1))

        async def scenario() -> None:
            for token in (refresh, str(expired)):
                communicator = await connected()
                await communicator.send_json_to({"type": "auth", "token": token})
                assert await closed_with(communicator) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    def test_an_inactive_user_is_refused(self, team: Any) -> None:
        token = token_for(team.member)
        team.member.is_active = False
        team.member.save()

        async def scenario() -> None:
            communicator = await connected()
            await communicator.send_json_to({"type": "auth", "token": token})
            assert await closed_with(communicator) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    def test_a_second_auth_is_an_error_not_a_new_identity(self, team: Any) -> None:
        owner_token = token_for(team.owner)

        async def scenario() -> None:
            communicator = await connected(team.member)
            await communicator.send_json_to({"type": "auth", "token": owner_token})
            assert await communicator.receive_json_from() == {
                "type": "error",
                "code": "already_authenticated",
            }

        run(scenario)


class TestSubscriptions:
    @pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
    def test_every_member_may_subscribe(self, team: Any, role: str) -> None:
        async def scenario() -> None:
            communicator = await connected(team.user(role))
            reply = await subscribe(communicator, team.project.pk)
            assert reply == {"type": "subscribed", "project": team.project.pk}

        run(scenario)

    def test_outsiders_and_unknown_projects_get_the_same_forbidden(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.outsider)
            forbidden = {"type": "error", "code": "forbidden"}
            assert await subscribe(communicator, team.project.pk) == forbidden
            assert await subscribe(communicator, 999_999_999) == forbidden

        run(scenario)

    def test_subscribing_twice_is_harmless_and_unsubscribe_answers(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            subscribed = {"type": "subscribed", "project": team.project.pk}
            assert await subscribe(communicator, team.project.pk) == subscribed
            assert await subscribe(communicator, team.project.pk) == subscribed
            await communicator.send_json_to({"type": "unsubscribe", "project": team.project.pk})
            assert await communicator.receive_json_from() == {
                "type": "unsubscribed",
                "project": team.project.pk,
            }

        run(scenario)

    def test_subscriptions_per_socket_are_limited(self, team: Any, settings: Any) -> None:
        settings.REALTIME_MAX_SUBSCRIPTIONS = 1
        other = ProjectFactory(workspace=team.workspace)

        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            assert await subscribe(communicator, other.pk) == {
                "type": "error",
                "code": "too_many_subscriptions",
            }

        run(scenario)

    @pytest.mark.parametrize(
        "message",
        [
            "not json",
            "[]",
            '{"type": "dance"}',
            '{"type": "subscribe", "project": "1"}',
            '{"type": "subscribe", "project": true}',
            '{"type": "subscribe", "project": -3}',
            '{"type": "ping", "padding": "' + "x" * 5000 + '"}',
        ],
    )
    def test_malformed_messages_get_bad_request(self, team: Any, message: str) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await communicator.send_to(text_data=message)
            assert await communicator.receive_json_from() == {
                "type": "error",
                "code": "bad_request",
            }

        run(scenario)

    def test_binary_frames_get_bad_request(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await communicator.send_to(bytes_data=b"\x00\x01")
            assert await communicator.receive_json_from() == {
                "type": "error",
                "code": "bad_request",
            }

        run(scenario)


class TestLiveEvents:
    def test_rest_writes_arrive_in_order_with_their_request_ids(self, team: Any) -> None:
        async def scenario() -> None:
            # Given a member and a viewer subscribed to the project
            member = await connected(team.member)
            viewer = await connected(team.viewer)
            for communicator in (member, viewer):
                await subscribe(communicator, team.project.pk)

            # When the member creates a task and changes it twice through the REST API
            write = in_sync(_rest_write)
            task = await write(
                team,
                "member",
                "post",
                "/api/v1/tasks/",
                {"project": team.project.pk, "title": "t"},
                "rid-create",
            )
            path = f"/api/v1/tasks/{task['id']}/"
            await write(team, "member", "patch", path, {"title": "renamed"}, "rid-rename")
            await write(team, "member", "patch", path, {"status": "done"}, "rid-status")
            assert await publish() == 3

            # Then both sockets get the three events, in version order, each with its request id
            for communicator in (member, viewer):
                messages = await receive_all(communicator)
                events = [m["event"] for m in messages if m["type"] == "event"]
                assert [(e["type"], e["version"], e["request_id"]) for e in events] == [
                    ("TaskCreated", 1, "rid-create"),
                    ("TaskRenamed", 2, "rid-rename"),
                    ("TaskStatusChanged", 3, "rid-status"),
                ]
                assert set(events[0]) == {
                    "id",
                    "type",
                    "stream",
                    "version",
                    "data",
                    "occurred_at",
                    "request_id",
                }
                assert events[0]["stream"] == f"task-{task['id']}"

        run(scenario)

    def test_only_the_subscribed_projects_events_arrive(self, team: Any) -> None:
        other = ProjectFactory(workspace=team.workspace)

        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            await in_sync(TaskFactory)(project=other)
            mine = await in_sync(TaskFactory)(project=team.project)
            await publish()
            events = [m["event"] for m in await receive_all(communicator)]
            assert [e["stream"] for e in events] == [f"task-{mine.pk}"]

        run(scenario)

    def test_after_unsubscribed_nothing_more_arrives(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            await in_sync(TaskFactory)(project=team.project)
            await communicator.send_json_to({"type": "unsubscribe", "project": team.project.pk})
            assert (await communicator.receive_json_from())["type"] == "unsubscribed"
            await publish()
            assert await receive_all(communicator, timeout=0.5) == []

        run(scenario)

    def test_relay_duplicates_are_dropped(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            await in_sync(TaskFactory)(project=team.project, version=2)
            await publish()
            # The relay publishes at least once: a crash before marking rows repeats them.
            layer = get_channel_layer()
            event = (await receive_all(communicator))[0]["event"]
            await layer.group_send(
                f"project.{team.project.pk}",
                {"type": "event.message", "group": f"project.{team.project.pk}", "event": event},
            )
            assert await receive_all(communicator, timeout=0.5) == []

        run(scenario)

    def test_a_skipped_version_closes_the_socket_for_a_resync(self, team: Any) -> None:
        group = f"project.{team.project.pk}"

        def event(version: int) -> dict[str, Any]:
            return {
                "id": 10_000 + version,
                "type": "TaskRenamed",
                "stream": "task-424242",
                "version": version,
                "data": {},
                "occurred_at": timezone.now().isoformat(),
                "request_id": "",
            }

        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            layer = get_channel_layer()
            for version in (1, 2, 4):
                await layer.group_send(
                    group, {"type": "event.message", "group": group, "event": event(version)}
                )
            assert await closed_with(communicator) == protocol.CLOSE_RESYNC

        run(scenario)


class TestRevocation:
    def test_a_removed_member_stops_receiving_at_once(self, team: Any) -> None:
        async def scenario() -> None:
            # Given the member and the viewer follow the project
            member = await connected(team.member)
            viewer = await connected(team.viewer)
            for communicator in (member, viewer):
                await subscribe(communicator, team.project.pk)

            # When an admin removes the member, and a task is created straight after
            def remove_then_write() -> None:
                membership = Membership.objects.get(workspace=team.workspace, user=team.member)
                workspace_commands.member_remove(actor=team.admin, membership=membership)
                TaskFactory(project=team.project, title="after the removal")

            await in_sync(remove_then_write)()
            await publish()

            # Then the member is told the subscription ended and gets nothing more
            assert await receive_all(member) == [
                {"type": "unsubscribed", "project": team.project.pk, "reason": "access_revoked"}
            ]
            # while the viewer still gets the new task
            events = [m for m in await receive_all(viewer) if m["type"] == "event"]
            assert [e["event"]["type"] for e in events] == ["TaskCreated"]

            # And subscribing again is refused
            assert await subscribe(member, team.project.pk) == {
                "type": "error",
                "code": "forbidden",
            }

        run(scenario)

    def test_someone_elses_removal_changes_nothing(self, team: Any) -> None:
        async def scenario() -> None:
            member = await connected(team.member)
            await subscribe(member, team.project.pk)

            def remove_viewer() -> None:
                membership = Membership.objects.get(workspace=team.workspace, user=team.viewer)
                workspace_commands.member_remove(actor=team.admin, membership=membership)
                TaskFactory(project=team.project)

            await in_sync(remove_viewer)()
            await publish()
            messages = await receive_all(member)
            assert [m["type"] for m in messages] == ["event"]

        run(scenario)

    def test_a_deleted_project_ends_its_subscriptions(self, team: Any) -> None:
        project_id = team.project.pk

        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)

            def delete_project() -> None:
                workspace_commands.project_delete(actor=team.admin, project=team.project)

            await in_sync(delete_project)()
            await publish()
            assert await receive_all(communicator) == [
                {"type": "unsubscribed", "project": project_id, "reason": "project_deleted"}
            ]

        run(scenario)

    def test_a_deleted_workspace_ends_its_subscriptions(self, team: Any) -> None:
        second = ProjectFactory(workspace=team.workspace)

        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            await subscribe(communicator, second.pk)

            def delete_workspace() -> None:
                workspace_commands.workspace_delete(actor=team.owner, workspace=team.workspace)

            await in_sync(delete_workspace)()
            await publish()
            messages = await receive_all(communicator)
            assert sorted(m["project"] for m in messages) == sorted([team.project.pk, second.pk])
            assert {m["reason"] for m in messages} == {"workspace_deleted"}

        run(scenario)


class TestOrigin:
    @pytest.mark.parametrize(
        ("origin", "accepted"),
        [
            (None, True),
            ("http://127.0.0.1:8001", True),
            ("https://localhost", True),
            ("https://evil.example", False),
            ("null", False),
        ],
    )
    def test_browsers_must_come_from_this_site(self, origin: str | None, accepted: bool) -> None:
        async def scenario() -> bool:
            communicator = socket(origin)
            connected_, _ = await communicator.connect()
            await communicator.disconnect()
            return bool(connected_)

        assert run(scenario) is accepted

    def test_extra_origins_may_be_allowed(self, settings: Any) -> None:
        settings.REALTIME_ALLOWED_ORIGINS = ["https://board.example"]

        async def scenario() -> bool:
            communicator = socket("https://board.example")
            connected_, _ = await communicator.connect()
            await communicator.disconnect()
            return bool(connected_)

        assert run(scenario) is True


class TestShutdown:
    def test_open_sockets_are_told_to_reconnect_with_1012(self, team: Any) -> None:
        async def scenario() -> None:
            sockets = [await connected(team.member), await connected()]
            asked = await registry.close_all(protocol.CLOSE_SERVICE_RESTART)
            assert asked == 2
            for communicator in sockets:
                assert await closed_with(communicator) == protocol.CLOSE_SERVICE_RESTART
                await communicator.disconnect()
            assert await registry.wait_closed(timeout=2)

        run(scenario)

    def test_while_draining_new_sockets_are_closed_with_1012(self) -> None:
        registry.draining = True

        async def scenario() -> None:
            communicator = socket()
            accepted, _ = await communicator.connect()
            assert accepted
            assert await closed_with(communicator) == protocol.CLOSE_SERVICE_RESTART

        run(scenario)


def test_the_layer_is_flushed_between_tests() -> None:
    # Guards the fixtures above: a message left in a group would leak into the next test.
    assert async_to_sync(get_channel_layer().group_send)("project.0", {"type": "x"}) is None


def _short_token(user: Any, seconds: float) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=datetime.timedelta(seconds=seconds))
    return str(token)


class TestSessions:
    """Sockets re-authenticate and end with the session (accounts/sessions.py)."""

    def test_a_fresh_token_keeps_the_socket_past_the_first_tokens_expiry(self, team: Any) -> None:
        short, fresh = _short_token(team.member, 3.0), token_for(team.member)

        async def scenario() -> None:
            communicator = await connected()
            await communicator.send_json_to({"type": "auth", "token": short})
            assert (await communicator.receive_json_from(timeout=5))["type"] == "authenticated"
            # When the client sends a fresh token before the first one expires
            await communicator.send_json_to({"type": "auth", "token": fresh})
            assert await communicator.receive_json_from(timeout=5) == {
                "type": "authenticated",
                "user": team.member.pk,
            }
            # Then the socket outlives the first token
            assert await communicator.receive_nothing(timeout=3.5)
            await communicator.send_json_to({"type": "ping"})
            assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
            await communicator.disconnect()

        run(scenario)

    def test_the_socket_closes_at_the_tokens_expiry_without_a_fresh_one(self, team: Any) -> None:
        short = _short_token(team.member, 1.0)

        async def scenario() -> None:
            communicator = await connected()
            await communicator.send_json_to({"type": "auth", "token": short})
            assert (await communicator.receive_json_from(timeout=5))["type"] == "authenticated"
            # Keep-alive pings do not extend it
            await communicator.send_json_to({"type": "ping"})
            assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
            assert await closed_with(communicator, timeout=5) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    def test_an_invalid_fresh_token_closes_the_socket(self, team: Any) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await communicator.send_json_to({"type": "auth", "token": "not-a-token"})
            assert await closed_with(communicator) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    @pytest.mark.parametrize("change", ["password", "deactivation", "deletion", "logout_all"])
    def test_the_socket_closes_when_the_session_ends(self, team: Any, change: str) -> None:
        user = team.member

        def end_session() -> None:
            if change == "password":
                user.set_password("another-long-passphrase-7")
                user.save()
            elif change == "deactivation":
                user.is_active = False
                user.save()
            elif change == "deletion":
                user.delete()
            else:
                account_commands.user_logout_everywhere(user=user)

        async def scenario() -> None:
            communicator = await connected(user)
            assert await subscribe(communicator, team.project.pk) == {
                "type": "subscribed",
                "project": team.project.pk,
            }
            await in_sync(end_session)()
            assert await closed_with(communicator, timeout=3) == protocol.CLOSE_UNAUTHENTICATED

        run(scenario)

    def test_a_membership_deleted_outside_the_commands_ends_the_subscription(
        self, team: Any
    ) -> None:
        async def scenario() -> None:
            communicator = await connected(team.member)
            await subscribe(communicator, team.project.pk)
            # A bulk delete (as the admin's "delete selected" does): no MemberRemoved event
            await in_sync(
                lambda: Membership.objects.filter(
                    user=team.member, workspace=team.workspace
                ).delete()
            )()
            assert await communicator.receive_json_from(timeout=5) == {
                "type": "unsubscribed",
                "project": team.project.pk,
                "reason": "access_revoked",
            }
            await communicator.disconnect()

        run(scenario)

    def test_subscription_churn_is_limited(self, team: Any, settings: Any) -> None:
        settings.REALTIME_SUBSCRIPTION_CHANGES = 4

        async def scenario() -> None:
            communicator = await connected(team.member)
            for _ in range(2):
                assert (await subscribe(communicator, team.project.pk))["type"] == "subscribed"
                await communicator.send_json_to({"type": "unsubscribe", "project": team.project.pk})
                assert (await communicator.receive_json_from(timeout=5))["type"] == "unsubscribed"
            assert await subscribe(communicator, team.project.pk) == {
                "type": "error",
                "code": "rate_limited",
            }
            await communicator.disconnect()

        run(scenario)
