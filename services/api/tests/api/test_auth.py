"""Registration, JWT issue/rotation/blacklist/verify, logout, password change and /me."""

import datetime
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.api.test_errors import assert_envelope
from tests.factories import PASSWORD, UserFactory

User = get_user_model()


def login(client: APIClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/token/", {"username": username, "password": password})


@pytest.mark.django_db
class TestRegister:
    def test_register_returns_the_user_and_creates_a_profile(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/api/v1/auth/register/",
            {"username": "alice", "email": "alice@example.com", "password": "a-long-passphrase-9"},
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"id", "username", "email"}
        user = User.objects.get(pk=body["id"])
        assert user.profile is not None
        assert user.check_password("a-long-passphrase-9")

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            (
                {"username": "bob", "email": "not-an-email", "password": "a-long-passphrase-9"},
                "email",
            ),
            ({"username": "bob", "email": "b@example.com", "password": "123"}, "password"),
            (
                {"username": "b b", "email": "b@example.com", "password": "a-long-passphrase-9"},
                "username",
            ),
            ({"email": "b@example.com", "password": "a-long-passphrase-9"}, "username"),
            (
                {
                    "username": "bob",
                    "email": "b@example.com",
                    "password": "a-long-passphrase-9",
                    "is_staff": True,
                },
                "is_staff",
            ),
        ],
    )
    def test_invalid_registrations_are_refused(
        self, api_client: APIClient, payload: dict[str, Any], field: str
    ) -> None:
        error = assert_envelope(
            api_client.post("/api/v1/auth/register/", payload, format="json"),
            400,
            "validation_error",
        )
        assert field in error["details"]
        assert not User.objects.filter(username="bob").exists()

    def test_duplicate_username_and_email_are_refused_case_insensitively(
        self, api_client: APIClient
    ) -> None:
        UserFactory(username="carol", email="carol@example.com")
        for payload, field in (
            ({"username": "CAROL", "email": "x@example.com"}, "username"),
            ({"username": "carol2", "email": "Carol@Example.com"}, "email"),
        ):
            response = api_client.post(
                "/api/v1/auth/register/", {**payload, "password": "a-long-passphrase-9"}
            )
            assert field in assert_envelope(response, 400, "validation_error")["details"]


@pytest.mark.django_db
class TestTokens:
    def test_login_issues_a_5_minute_access_and_1_day_refresh(self, api_client: APIClient) -> None:
        user = UserFactory()
        response = login(api_client, user.username)
        assert response.status_code == 200
        access = AccessToken(response.json()["access"])
        refresh = RefreshToken(response.json()["refresh"])
        assert access["exp"] - access["iat"] == 300
        assert refresh["exp"] - refresh["iat"] == 86400
        assert str(access["user_id"]) == str(user.pk)

    def test_wrong_password_is_401_authentication_failed(self, api_client: APIClient) -> None:
        user = UserFactory()
        assert_envelope(login(api_client, user.username, "wrong"), 401, "authentication_failed")

    def test_refresh_rotates_and_blacklists_the_old_token(self, api_client: APIClient) -> None:
        user = UserFactory()
        first = login(api_client, user.username).json()["refresh"]
        rotated = api_client.post("/api/v1/auth/token/refresh/", {"refresh": first})
        assert rotated.status_code == 200
        assert set(rotated.json()) == {"access", "refresh"}
        assert rotated.json()["refresh"] != first
        again = api_client.post("/api/v1/auth/token/refresh/", {"refresh": first})
        assert_envelope(again, 401, "authentication_failed")
        newer = api_client.post(
            "/api/v1/auth/token/refresh/", {"refresh": rotated.json()["refresh"]}
        )
        assert newer.status_code == 200

    def test_verify_accepts_valid_and_rejects_tampered_tokens(self, api_client: APIClient) -> None:
        access = login(api_client, UserFactory().username).json()["access"]
        assert api_client.post("/api/v1/auth/token/verify/", {"token": access}).status_code == 200
        tampered = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
        assert_envelope(
            api_client.post("/api/v1/auth/token/verify/", {"token": tampered}),
            401,
            "authentication_failed",
        )

    def test_logout_blacklists_the_refresh_token(self, api_client: APIClient) -> None:
        user = UserFactory()
        tokens = login(api_client, user.username).json()
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert (
            api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code
            == 204
        )
        api_client.credentials()
        refused = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
        assert_envelope(refused, 401, "authentication_failed")
        # simplejwt's verify reports a blacklisted token as invalid input rather than bad auth.
        verify = api_client.post("/api/v1/auth/token/verify/", {"token": tokens["refresh"]})
        error = assert_envelope(verify, 400, "validation_error")
        assert error["details"] == {"non_field_errors": ["Token is blacklisted"]}

    def test_logout_needs_an_access_token(self, api_client: APIClient) -> None:
        refresh = str(RefreshToken.for_user(UserFactory()))
        assert_envelope(
            api_client.post("/api/v1/auth/logout/", {"refresh": refresh}), 401, "not_authenticated"
        )

    def test_logout_refuses_another_users_refresh_token(self, make_client: Any) -> None:
        victim_refresh = str(RefreshToken.for_user(UserFactory()))
        response = make_client(UserFactory()).post(
            "/api/v1/auth/logout/", {"refresh": victim_refresh}
        )
        assert_envelope(response, 400, "validation_error")
        client = APIClient()
        assert (
            client.post("/api/v1/auth/token/refresh/", {"refresh": victim_refresh}).status_code
            == 200
        )

    def test_logout_with_garbage_refresh_is_a_validation_error(self, make_client: Any) -> None:
        response = make_client(UserFactory()).post("/api/v1/auth/logout/", {"refresh": "garbage"})
        assert "refresh" in assert_envelope(response, 400, "validation_error")["details"]


@pytest.mark.django_db
class TestBadTokens:
    def _get(self, token: str) -> Any:
        return APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    def test_refresh_token_used_as_access_is_refused(self) -> None:
        refresh = str(RefreshToken.for_user(UserFactory()))
        assert_envelope(self._get(refresh), 401, "authentication_failed")

    def test_token_signed_with_another_key_is_refused(self) -> None:
        user = UserFactory()
        payload = dict(AccessToken.for_user(user).payload)
        forged = jwt.encode(payload, "another-key-entirely-" * 3, algorithm="HS256")
        assert_envelope(self._get(forged), 401, "authentication_failed")

    def test_alg_none_is_refused(self) -> None:
        payload = dict(AccessToken.for_user(UserFactory()).payload)
        unsigned = jwt.encode(payload, key=None, algorithm="none")
        assert_envelope(self._get(unsigned), 401, "authentication_failed")

    def test_expired_token_is_refused(self) -> None:
        token = AccessToken.for_user(UserFactory())
        token.set_exp(lifetime=-datetime.timedelta(seconds=1))
        assert_envelope(self._get(str(token)), 401, "authentication_failed")

    def test_token_of_a_deleted_user_is_refused(self) -> None:
        user = UserFactory()
        token = str(AccessToken.for_user(user))
        user.delete()
        assert_envelope(self._get(token), 401, "authentication_failed")

    def test_malformed_authorization_header(self) -> None:
        response = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION="Bearer a b c")
        assert_envelope(response, 401, "authentication_failed")


@pytest.mark.django_db
class TestPasswordChange:
    def test_change_password_blacklists_every_refresh_token(self, api_client: APIClient) -> None:
        user = UserFactory()
        tokens = login(api_client, user.username).json()
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        response = api_client.post(
            "/api/v1/auth/password/",
            {"old_password": PASSWORD, "new_password": "new-secret-phrase-42"},
        )
        assert response.status_code == 204
        user.refresh_from_db()
        assert user.check_password("new-secret-phrase-42")
        api_client.credentials()
        refused = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
        assert_envelope(refused, 401, "authentication_failed")

    def test_wrong_old_password_changes_nothing(self, make_client: Any) -> None:
        user = UserFactory()
        response = make_client(user).post(
            "/api/v1/auth/password/",
            {"old_password": "nope", "new_password": "new-secret-phrase-42"},
        )
        assert "old_password" in assert_envelope(response, 400, "validation_error")["details"]
        user.refresh_from_db()
        assert user.check_password(PASSWORD)


@pytest.mark.django_db
class TestMe:
    def test_get_me_includes_the_profile(self, make_client: Any) -> None:
        user = UserFactory(username="dora")
        body = make_client(user).get("/api/v1/auth/me/").json()
        assert body["username"] == "dora"
        assert body["profile"] == {"display_name": "", "bio": "", "timezone": "UTC"}

    def test_patch_me_updates_user_and_profile(self, make_client: Any) -> None:
        user = UserFactory()
        response = make_client(user).patch(
            "/api/v1/auth/me/",
            {"first_name": "Dora", "profile": {"display_name": "D", "timezone": "Europe/Paris"}},
            format="json",
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.first_name == "Dora"
        assert user.profile.display_name == "D"

    def test_patch_me_cannot_escalate(self, make_client: Any) -> None:
        user = UserFactory()
        for field in ({"is_staff": True}, {"is_superuser": True}, {"username": "root"}, {"id": 1}):
            response = make_client(user).patch("/api/v1/auth/me/", field, format="json")
            assert_envelope(response, 400, "validation_error")
        user.refresh_from_db()
        assert not user.is_staff and not user.is_superuser

    def test_superuser_without_profile_gets_one(self, make_client: Any) -> None:
        user = User.objects.create_superuser("root", "root@example.com", PASSWORD)
        assert make_client(user).get("/api/v1/auth/me/").json()["profile"]["timezone"] == "UTC"


@override_settings()
@pytest.mark.django_db
def test_token_endpoint_rejects_get(api_client: APIClient) -> None:
    assert_envelope(api_client.get("/api/v1/auth/token/"), 405, "method_not_allowed")
