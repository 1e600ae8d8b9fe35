"""/admin/login/ is throttled in the strict bucket (it used to take guesses at full speed)."""

import pytest
from django.contrib import admin
from django.test import Client

from accounts.admin_site import ThrottledAdminSite
from tests.api.test_throttling import rates
from tests.factories import PASSWORD, UserFactory


def test_the_default_admin_site_is_the_throttled_one() -> None:
    assert isinstance(admin.site, ThrottledAdminSite)


@pytest.mark.django_db
def test_login_attempts_beyond_the_strict_rate_are_refused() -> None:
    staff = UserFactory(is_staff=True)
    client = Client()
    with rates(strict="3/minute"):
        guesses = [
            client.post("/admin/login/", {"username": staff.username, "password": f"guess-{n}"})
            for n in range(3)
        ]
        refused = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
        page = client.get("/admin/login/")
        other_address = Client(REMOTE_ADDR="10.7.7.7").post(
            "/admin/login/", {"username": staff.username, "password": PASSWORD}
        )

    # The wrong guesses are answered by the form (200); the next attempt, even with the right
    # password, is refused with Retry-After; reading the form is not counted; other addresses
    # have their own budget.
    assert [guess.status_code for guess in guesses] == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert page.status_code == 200
    assert other_address.status_code == 302
