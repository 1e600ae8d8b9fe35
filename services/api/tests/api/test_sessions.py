"""Sessions end when access ends: the session epoch that every token carries (accounts/sessions.py),
checked against the cached principal, on real PostgreSQL and Redis when they are configured."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import sessions
from tests.api.test_errors import assert_envelope
from tests.conftest import requires_redis
from tests.factories import PASSWORD, UserFactory

User = get_user_model()
NEW_PASSWORD = "new-secret-phrase-42"


def login(username: str, password: str = PASSWORD) -> dict[str, str]:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return dict(response.json())


def me(access: str) -> Any:
    return APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(token: str) -> Any:
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token})


def change_password(access: str) -> Any:
    return APIClient().post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )


@pytest.mark.django_db
class TestEpochClaim:
    def test_issued_tokens_carry_the_current_epoch_through_rotation(self) -> None:
        user = UserFactory()
        sessions.sessions_end(user_id=user.pk, reason=sessions.REASON_LOGGED_OUT)
        pair = login(user.username)
        assert AccessToken(pair["access"])[sessions.EPOCH_CLAIM] == 1
        rotated = refresh(pair["refresh"]).json()
        assert AccessToken(rotated["access"])[sessions.EPOCH_CLAIM] == 1
        assert RefreshToken(rotated["refresh"])[sessions.EPOCH_CLAIM] == 1


@pytest.mark.django_db(transaction=True)
class TestPasswordChange:
    def test_the_old_access_token_is_refused_right_after(self) -> None:
        # Given a signed-in user whose principal is cached (the request before the change)
        user = UserFactory()
        pair = login(user.username)
        assert me(pair["access"]).status_code == 200

        # When the password changes
        assert change_password(pair["access"]).status_code == 204

        # Then the access token issued before is refused at once, in the envelope
        body = assert_envelope(me(pair["access"]), 401, "authentication_failed")
        assert body["details"] == {"code": "token_revoked"}
        assert_envelope(refresh(pair["refresh"]), 401, "authentication_failed")
        # and the new password opens a session that works
        assert me(login(user.username, NEW_PASSWORD)["access"]).status_code == 200

    def test_a_refresh_racing_the_change_does_not_survive_it(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given a refresh request that has passed its checks when the password change commits
        user = UserFactory()
        pair = login(user.username)
        original = RefreshToken.blacklist

        def change_then_blacklist(token: Any) -> Any:
            changed = APIClient()
            changed.force_authenticate(User.objects.get(pk=user.pk))
            assert (
                changed.post(
                    "/api/v1/auth/password/",
                    {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                ).status_code
                == 204
            )
            return original(token)

        monkeypatch.setattr(RefreshToken, "blacklist", change_then_blacklist)
        raced = refresh(pair["refresh"])
        monkeypatch.undo()
        assert raced.status_code == 200  # simplejwt answered the pair it had started

        # Then neither half of the pair it answered is of any use
        assert_envelope(me(raced.json()["access"]), 401, "authentication_failed")
        assert_envelope(refresh(raced.json()["refresh"]), 401, "authentication_failed")


@pytest.mark.django_db(transaction=True)
class TestLogoutEverywhere:
    def test_every_token_of_every_device_is_refused(self) -> None:
        user = UserFactory()
        laptop, phone = login(user.username), login(user.username)
        assert me(phone["access"]).status_code == 200

        response = APIClient().post(
            "/api/v1/auth/logout/all/", HTTP_AUTHORIZATION=f"Bearer {laptop['access']}"
        )

        assert response.status_code == 204
        for device in (laptop, phone):
            assert_envelope(me(device["access"]), 401, "authentication_failed")
            assert_envelope(refresh(device["refresh"]), 401, "authentication_failed")
        assert me(login(user.username)["access"]).status_code == 200

    def test_needs_authentication(self) -> None:
        assert_envelope(APIClient().post("/api/v1/auth/logout/all/"), 401, "not_authenticated")


@pytest.mark.django_db(transaction=True)
class TestDeactivation:
    def test_tokens_of_a_deactivated_account_stay_dead_after_reactivation(self) -> None:
        # Given a user with a working session
        user = UserFactory()
        pair = login(user.username)
        assert me(pair["access"]).status_code == 200

        # When an administrator deactivates the account (a plain save, as the admin does) and
        # later reactivates it
        user.is_active = False
        user.save()
        assert me(pair["access"]).status_code == 401
        user.is_active = True
        user.save()

        # Then the tokens issued before the deactivation do not come back to life
        assert_envelope(me(pair["access"]), 401, "authentication_failed")
        assert_envelope(refresh(pair["refresh"]), 401, "authentication_failed")

    def test_a_password_set_by_the_admin_ends_the_sessions(self) -> None:
        user = UserFactory()
        pair = login(user.username)
        assert me(pair["access"]).status_code == 200

        user.set_password(NEW_PASSWORD)  # the admin's password form, `manage.py changepassword`
        user.save()

        assert_envelope(me(pair["access"]), 401, "authentication_failed")

    def test_a_refresh_token_of_a_deleted_user_is_refused_not_an_error(self) -> None:
        user = UserFactory()
        pair = login(user.username)
        user.delete()
        assert refresh(pair["refresh"]).status_code == 401


# The race exists only where the user comes from a cached principal (Redis): without one the
# deactivated account is refused at authentication, before any edit.
@requires_redis
@pytest.mark.django_db(transaction=True)
class TestProfileEditKeepsConcurrentChanges:
    def test_a_profile_edit_does_not_reactivate_an_account_deactivated_meanwhile(self) -> None:
        # Given a user whose principal is cached
        user = UserFactory()
        access = login(user.username)["access"]
        assert me(access).status_code == 200

        # When the account is deactivated and made staff by a bulk update (no signal: the cached
        # principal still says active), and the user edits their profile meanwhile
        User.objects.filter(pk=user.pk).update(is_active=False, is_superuser=True)
        response = APIClient().patch(
            "/api/v1/auth/me/", {"first_name": "Ann"}, HTTP_AUTHORIZATION=f"Bearer {access}"
        )

        # Then the edit is saved and nothing else of the row is written back
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.first_name == "Ann"
        assert user.is_active is False
        assert user.is_superuser is True
