"""The auth flow: log in, read the profile, refresh (rotation), log out (blacklist).

Login is deliberately slow: Django's PBKDF2 hasher spends hundreds of milliseconds of CPU on
every password check. nginx allows 5 credential requests per second per client address (burst
10), so this scenario runs paced, a few flows per second in all (LOADTEST_AUTH_RATE per user),
and the runner keeps its share of the mixed phase small. Its latency is reported on its own.
"""

from __future__ import annotations

from locust import FastHttpUser, constant_throughput, task
from suites.common import dataset, env_float, env_int, next_account


class AuthFlowUser(FastHttpUser):
    wait_time = constant_throughput(env_float("LOADTEST_AUTH_RATE", 0.5))
    weight = 1
    fixed_count = env_int("LOADTEST_AUTH_USERS", 0)

    @task
    def login_refresh_logout(self) -> None:
        account = next_account()
        credentials = {"username": account.username, "password": dataset().password}
        response = self.client.post("/api/v1/auth/token/", json=credentials, name="auth: login")
        if response.status_code != 200:
            return
        tokens = response.json()
        self.client.get(
            "/api/v1/auth/me/",
            headers={"Authorization": f"Bearer {tokens['access']}"},
            name="auth: me",
        )
        response = self.client.post(
            "/api/v1/auth/token/refresh/", json={"refresh": tokens["refresh"]}, name="auth: refresh"
        )
        if response.status_code != 200:
            return
        tokens = response.json()
        self.client.post(
            "/api/v1/auth/logout/",
            json={"refresh": tokens["refresh"]},
            headers={"Authorization": f"Bearer {tokens['access']}"},
            name="auth: logout",
        )
