"""What every suite shares: the dataset made by loadtests/seed.py, access tokens, request naming.

Settings come from the environment (loadtests/run.py sets them; a hand-run `locust` may too):

    LOADTEST_DATASET        the dataset file (loadtests/reports/dataset.json)
    LOADTEST_CA             CA bundle to verify the target's certificate; unset: not verified
    LOADTEST_ACCOUNTS       how many of the dataset's accounts this process uses (100)
    LOADTEST_LOGIN_INTERVAL seconds between two logins of this process (0.25: nginx allows
                            5 credential requests/s per client address)
    LOADTEST_READ_RATE      tasks per second per read user (0: as fast as answers come)
    LOADTEST_WRITE_RATE     tasks per second per write user
    LOADTEST_LIVE_RATE      writes per second per live writer (the WebSocket probes)
    LOADTEST_AUTH_RATE      login-refresh-logout flows per second per auth user
    LOADTEST_WS_PROJECTS    projects the WebSocket users follow (10)

Requests are named `<scenario>: <what>` (`read: tasks?project`), which is how the runner groups
them into the read mix, the write mix, the auth flow and the WebSocket figures.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import ssl
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import gevent
from gevent.lock import Semaphore
from geventhttpclient import HTTPClient
from geventhttpclient.url import URL

ROOT = Path(__file__).resolve().parents[2]
TOKEN_MAX_AGE = 240.0  # access tokens live 300 s; renew well before


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


@dataclass
class Account:
    id: int
    username: str
    workspaces: list[int]
    token: str | None = None
    token_at: float = 0.0
    lock: Semaphore = field(default_factory=Semaphore)


@dataclass
class Dataset:
    password: str
    accounts: list[Account]
    projects: dict[int, dict[str, Any]]  # id -> {"workspace": id, "tasks": [ids]}
    workspace_projects: dict[int, list[int]]

    def projects_of(self, account: Account) -> list[int]:
        return [p for w in account.workspaces for p in self.workspace_projects.get(w, [])]

    def accounts_in(self, workspace: int) -> list[Account]:
        return [a for a in self.accounts if workspace in a.workspaces]


@cache
def dataset() -> Dataset:
    path = Path(os.environ.get("LOADTEST_DATASET", ROOT / "loadtests" / "reports" / "dataset.json"))
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run `python loadtests/seed.py` first")
    raw = json.loads(path.read_text())
    minted_at = raw.get("minted_at") or 0.0
    limit = env_int("LOADTEST_ACCOUNTS", 100)
    accounts = [
        Account(
            id=u["id"],
            username=u["username"],
            workspaces=u["workspaces"],
            token=u.get("access"),
            token_at=minted_at if u.get("access") else 0.0,
        )
        for u in raw["users"]
        if u["workspaces"]
    ][:limit]
    projects = {p["id"]: p for p in raw["projects"]}
    by_workspace: dict[int, list[int]] = {}
    for p in raw["projects"]:
        by_workspace.setdefault(p["workspace"], []).append(p["id"])
    return Dataset(raw["password"], accounts, projects, by_workspace)


_next_account = itertools.count()


def next_account() -> Account:
    """Round robin over this process's accounts: Locust users of one process share them."""
    accounts = dataset().accounts
    return accounts[next(_next_account) % len(accounts)]


def ca_bundle() -> str | None:
    ca = os.environ.get("LOADTEST_CA", "").strip()
    return ca if ca and Path(ca).is_file() else None


def ssl_context() -> ssl.SSLContext:
    ca = ca_bundle()
    if ca:
        return ssl.create_default_context(cafile=ca)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class TokenSource:
    """Access tokens for this process's accounts: the seed's while they are fresh, else a login
    (paced, retried on 429). Logins here are the harness's, not the measured traffic, so they are
    not in Locust's statistics; failures are printed."""

    def __init__(self, host: str) -> None:
        self.url = URL(host.rstrip("/") + "/api/v1/auth/token/")
        self.pace = Semaphore()
        self.interval = env_float("LOADTEST_LOGIN_INTERVAL", 0.25)
        self.last = 0.0

    def _client(self) -> HTTPClient:
        return HTTPClient.from_url(
            self.url,
            ssl_context_factory=lambda: ssl_context(),
            # Without a CA bundle the context verifies nothing; geventhttpclient would turn
            # verification back on (and fail on a self-signed certificate) unless told so.
            insecure=ca_bundle() is None,
            connection_timeout=10,
            network_timeout=30,
            concurrency=1,
        )

    def token(self, account: Account) -> str:
        if account.token and time.time() - account.token_at < TOKEN_MAX_AGE:
            return account.token
        with account.lock:
            if account.token and time.time() - account.token_at < TOKEN_MAX_AGE:
                return account.token
            body = json.dumps({"username": account.username, "password": dataset().password})
            client = self._client()
            try:
                for attempt in range(30):
                    with self.pace:
                        wait = self.last + self.interval - time.monotonic()
                        if wait > 0:
                            gevent.sleep(wait)
                        self.last = time.monotonic()
                    response = client.post(
                        self.url.request_uri,
                        body=body,
                        headers={"Content-Type": "application/json"},
                    )
                    data = response.read()
                    if response.status_code == 200:
                        account.token = json.loads(data)["access"]
                        account.token_at = time.time()
                        return account.token
                    if response.status_code != 429:
                        raise RuntimeError(
                            f"login as {account.username}: {response.status_code} {data[:200]!r}"
                        )
                    gevent.sleep(min(float(response.get("Retry-After") or 1), 5) + attempt * 0.1)
                raise RuntimeError(f"login as {account.username}: still throttled after 30 tries")
            finally:
                client.close()


_token_sources: dict[str, TokenSource] = {}


def token_for(host: str, account: Account) -> str:
    source = _token_sources.get(host)
    if source is None:
        source = _token_sources[host] = TokenSource(host)
    return source.token(account)


def pick(seq: list[Any]) -> Any:
    return seq[random.randrange(len(seq))]  # noqa: S311 - load generation, not security
