"""The four throttles: rates from settings, the shared strict bucket, writes-only burst and
sustained limits, Retry-After, and one count shared by several Gunicorn workers through Redis."""

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from harness import free_port
from tests.api.test_errors import assert_envelope
from tests.conftest import requires_redis
from tests.factories import PASSWORD, UserFactory


def rates(**overrides: str) -> Any:
    config = {**settings.REST_FRAMEWORK}
    config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **overrides}
    return override_settings(REST_FRAMEWORK=config)


def test_default_rates_are_the_contracts() -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "100/hour",
        "user": "1000/hour",
        "strict": "5/minute",
        "burst": "20/minute",
        "sustained": "500/hour",
    }


@pytest.mark.django_db
class TestInProcess:
    def test_anonymous_requests_are_limited_per_address(self, api_client: APIClient) -> None:
        with rates(anon="3/minute"):
            statuses = [
                api_client.post("/api/v1/auth/token/verify/", {"token": "x"}).status_code
                for _ in range(4)
            ]
            other = api_client.post(
                "/api/v1/auth/token/verify/", {"token": "x"}, REMOTE_ADDR="10.9.9.9"
            )
        assert statuses == [401, 401, 401, 429]
        assert other.status_code == 401

    def test_429_is_an_envelope_with_retry_after(self, api_client: APIClient) -> None:
        with rates(anon="1/minute"):
            api_client.post("/api/v1/auth/token/verify/", {"token": "x"})
            response = api_client.post("/api/v1/auth/token/verify/", {"token": "x"})
        assert_envelope(response, 429, "throttled")
        assert 1 <= int(response["Retry-After"]) <= 60

    def test_users_have_separate_budgets(self, make_client: Any) -> None:
        first, second = make_client(UserFactory()), make_client(UserFactory())
        with rates(user="2/minute"):
            assert [first.get("/api/v1/tasks/").status_code for _ in range(3)] == [200, 200, 429]
            assert second.get("/api/v1/tasks/").status_code == 200

    def test_login_register_and_password_change_share_one_strict_bucket(self) -> None:
        client = APIClient()
        user = UserFactory()
        with rates(strict="4/minute"):
            login = client.post(
                "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
            )
            register = client.post(
                "/api/v1/auth/register/",
                {
                    "username": "newcomer1",
                    "email": "n1@example.com",
                    "password": "a-long-passphrase-9",
                },
            )
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
            password = client.post(
                "/api/v1/auth/password/", {"old_password": "wrong", "new_password": "x"}
            )
            client.credentials()
            failed_login = client.post(
                "/api/v1/auth/token/", {"username": user.username, "password": "bad"}
            )
            refused = client.post(
                "/api/v1/auth/register/",
                {
                    "username": "newcomer2",
                    "email": "n2@example.com",
                    "password": "a-long-passphrase-9",
                },
            )
            # Refresh is not in the strict bucket.
            refreshed = client.post(
                "/api/v1/auth/token/refresh/", {"refresh": login.json()["refresh"]}
            )
        assert [
            login.status_code,
            register.status_code,
            password.status_code,
            failed_login.status_code,
        ] == [200, 201, 400, 401]
        assert_envelope(refused, 429, "throttled")
        assert refreshed.status_code == 200

    def test_burst_limits_writes_only(self, team: Any) -> None:
        client = team.client("member")
        with rates(burst="2/minute"):
            writes = [
                client.post(
                    "/api/v1/tasks/", {"project": team.project.pk, "title": f"t{n}"}
                ).status_code
                for n in range(3)
            ]
            reads = [client.get("/api/v1/tasks/").status_code for _ in range(3)]
        assert writes == [201, 201, 429]
        assert reads == [200, 200, 200]

    def test_sustained_limits_writes_independently_of_burst(self, team: Any) -> None:
        client = team.client("member")
        with rates(sustained="1/hour"):
            first = client.post("/api/v1/tasks/", {"project": team.project.pk, "title": "a"})
            second = client.post("/api/v1/tasks/", {"project": team.project.pk, "title": "b"})
        assert first.status_code == 201
        assert_envelope(second, 429, "throttled")
        assert int(second["Retry-After"]) > 3500

    def test_refused_writes_still_count(self, team: Any) -> None:
        client = team.client("member")
        with rates(burst="2/minute"):
            invalid = [client.post("/api/v1/tasks/", {"title": ""}).status_code for _ in range(2)]
            valid = client.post("/api/v1/tasks/", {"project": team.project.pk, "title": "ok"})
        assert invalid == [400, 400]
        assert valid.status_code == 429

    def test_forwarded_for_is_trusted_only_through_num_proxies(self) -> None:
        client = APIClient()
        with rates(anon="1/minute"):
            client.post(
                "/api/v1/auth/token/verify/", {"token": "x"}, HTTP_X_FORWARDED_FOR="1.1.1.1"
            )
            spoofed = client.post(
                "/api/v1/auth/token/verify/", {"token": "x"}, HTTP_X_FORWARDED_FOR="2.2.2.2"
            )
        assert spoofed.status_code == 429, "without NUM_PROXIES the header is ignored"


@contextmanager
def running_gunicorn(redis_url: str) -> Iterator[str]:
    """The api under Gunicorn with two worker processes, on the test database and `redis_url`."""
    port = free_port()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "TEST_REDIS_URL": redis_url,
        "THROTTLE_RATE_STRICT": "5/minute",
        "THROTTLE_RATE_BURST": "4/minute",
        "LOG_LEVEL": "WARNING",
    }
    api_dir = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "config.wsgi:application",
        ],
        cwd=api_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def gunicorn_two_workers(transactional_db: None) -> Iterator[str]:
    """The api under Gunicorn with two worker processes, on the test database and Redis."""
    with running_gunicorn(settings.REDIS_URL) as base:
        yield base


def _fire(count: int, send: Any) -> Counter[int]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(lambda _: send(), range(count)))


@requires_redis
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL shared by processes"
)
def test_strict_bucket_is_exact_under_concurrency_across_workers(gunicorn_two_workers: str) -> None:
    # Given: two Gunicorn workers sharing the Redis throttle store
    url = f"{gunicorn_two_workers}/api/v1/auth/token/"

    # When: 16 login attempts from one address arrive at once
    statuses = _fire(
        16,
        lambda: (
            requests.post(url, json={"username": "nobody", "password": "x"}, timeout=10).status_code
        ),
    )

    # Then: exactly five reach the view (401) and the rest are throttled
    assert statuses == Counter({401: 5, 429: 11})


@requires_redis
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL shared by processes"
)
def test_burst_budget_is_shared_by_workers_for_one_user(
    gunicorn_two_workers: str, team: Any
) -> None:
    token = requests.post(
        f"{gunicorn_two_workers}/api/v1/auth/token/",
        json={"username": team.member.username, "password": PASSWORD},
        timeout=10,
    ).json()["access"]
    url = f"{gunicorn_two_workers}/api/v1/tasks/"
    headers = {"Authorization": f"Bearer {token}"}

    statuses = _fire(
        10,
        lambda: (
            requests.post(
                url, json={"project": team.project.pk, "title": "t"}, headers=headers, timeout=10
            ).status_code
        ),
    )

    assert statuses == Counter({201: 4, 429: 6})
