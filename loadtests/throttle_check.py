#!/usr/bin/env python
"""`make loadtest-throttle`: the rate limiter engages exactly at its configured rates.

The load test raises every throttle rate so that it measures capacity; this small scenario is
its counterpart, against the stack running with its configured rates. For each limit it sends
the rate's number of requests (each must be answered normally), then one more, which must be
429 with a Retry-After header and the `throttled` error code:

    strict      login attempts per client address     (THROTTLE_RATE_STRICT, 5/minute)
    anon        anonymous requests per client address (THROTTLE_RATE_ANON, 100/hour)
    burst       writes per user                        (THROTTLE_RATE_BURST, 20/minute)
    user        requests per user                      (THROTTLE_RATE_USER, 1000/hour)

The sustained write rate (500/hour) cannot be reached under the burst rate without waiting
25 minutes; the application's tests cover it. Each check uses its own client address on the
loopback network (127.x.y.z; nginx passes it on and the application keys its buckets by it) and a
freshly registered user, so buckets start empty and the check can run again at once. Requests
to the credential endpoints are paced under nginx's own 5/s limit, so what answers 429 is the
application's limiter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stack_env  # noqa: E402

DEFAULT_RATES = {
    "THROTTLE_RATE_ANON": "100/hour",
    "THROTTLE_RATE_USER": "1000/hour",
    "THROTTLE_RATE_STRICT": "5/minute",
    "THROTTLE_RATE_BURST": "20/minute",
    "THROTTLE_RATE_SUSTAINED": "500/hour",
}
MAX_REQUESTS = 5000  # refuse rates that would take longer than a short check


class SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source: str, **kwargs: Any) -> None:
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Client:
    def __init__(self, target: str, verify: str | bool, bind: bool) -> None:
        self.target = target.rstrip("/")
        self.session = requests.Session()
        self.verify = verify
        self.address = "127.0.0.1"
        if bind:
            # A fresh loopback address: its buckets (nginx's and the application's) are empty.
            self.address = (
                f"127.{random.randint(100, 250)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311
            )
            self.session.mount("https://", SourceAddressAdapter(self.address))
            self.session.mount("http://", SourceAddressAdapter(self.address))
        self.last = 0.0

    def call(
        self, method: str, path: str, *, pace: float = 0.0, **kwargs: Any
    ) -> requests.Response:
        if pace:
            wait = self.last + pace - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last = time.monotonic()
        # Per request: REQUESTS_CA_BUNDLE in the environment would override a session's verify.
        kwargs.setdefault("verify", self.verify)
        return self.session.request(method, self.target + path, timeout=30, **kwargs)


def parse_rate(rate: str) -> tuple[int, str]:
    count, period = rate.split("/")
    return int(count), period


def configured_rates(local: bool) -> dict[str, str]:
    rates = dict(DEFAULT_RATES)
    if local:
        pid = stack_env.program_pid("api")
        if pid:
            env = stack_env.process_env(pid)
            rates.update({k: env[k] for k in DEFAULT_RATES if k in env})
    for key in DEFAULT_RATES:  # an explicit setting of the caller wins (a remote target's rates)
        if os.environ.get(f"EXPECT_{key}"):
            rates[key] = os.environ[f"EXPECT_{key}"]
    return rates


def new_user(args: argparse.Namespace, verify: str | bool) -> tuple[str, str]:
    client = Client(args.target, verify, args.bind)
    name = f"lt-throttle-{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex}"
    response = client.call(
        "POST",
        "/api/v1/auth/register/",
        pace=0.3,
        json={"username": name, "email": f"{name}@loadtest.invalid", "password": password},
    )
    if response.status_code != 201:
        raise SystemExit(
            f"throttle: cannot register a user: {response.status_code} {response.text}"
        )
    response = client.call(
        "POST", "/api/v1/auth/token/", pace=0.3, json={"username": name, "password": password}
    )
    if response.status_code != 200:
        raise SystemExit(f"throttle: cannot log in: {response.status_code} {response.text}")
    return name, response.json()["access"]


def check(label: str, rate: str, client: Client, send: Any, pace: float = 0.0) -> dict[str, Any]:
    allowed, period = parse_rate(rate)
    if allowed + 1 > MAX_REQUESTS:
        return {
            "check": label,
            "rate": rate,
            "result": "skipped",
            "detail": f"{allowed}/{period} is too high to reach in a short check (raised?)",
        }
    started = time.monotonic()
    for n in range(1, allowed + 1):
        response = send(client, pace)
        if response.status_code == 429:
            return {
                "check": label,
                "rate": rate,
                "result": "FAIL",
                "detail": f"429 already at request {n} of {allowed} allowed",
            }
    response = send(client, pace)
    retry_after = response.headers.get("Retry-After")
    code = None
    with contextlib.suppress(ValueError):
        code = response.json().get("error", {}).get("code")
    ok = response.status_code == 429 and bool(retry_after) and code == "throttled"
    return {
        "check": label,
        "rate": rate,
        "result": "pass" if ok else "FAIL",
        "detail": (
            f"request {allowed + 1} -> {response.status_code}, Retry-After {retry_after!r}, "
            f"code {code!r} ({time.monotonic() - started:.1f} s, from {client.address})"
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Checks that the limiter engages at its rates")
    parser.add_argument("--target", default=os.environ.get("TARGET") or "https://127.0.0.1:8443")
    parser.add_argument("--ca", default=str(stack_env.STACK_DIR / "certs" / "ca.crt"))
    parser.add_argument("--only", default="strict,anon,burst,user")
    args = parser.parse_args()
    host = args.target.split("://", 1)[-1].split(":")[0].split("/")[0]
    local = host in ("127.0.0.1", "localhost")
    args.bind = local
    verify: str | bool = args.ca if Path(args.ca).is_file() else True
    rates = configured_rates(local)
    print(
        f"throttle: checking {args.target} at its configured rates: "
        + ", ".join(f"{k.removeprefix('THROTTLE_RATE_').lower()} {v}" for k, v in rates.items()),
        flush=True,
    )

    def login(client: Client, pace: float) -> requests.Response:
        return client.call(
            "POST",
            "/api/v1/auth/token/",
            pace=pace,
            json={"username": "lt-nobody", "password": "wrong-password"},
        )

    def anonymous(client: Client, pace: float) -> requests.Response:
        return client.call("POST", "/api/v1/auth/token/verify/", pace=pace, json={"token": "x"})

    results = []
    wanted = {c.strip() for c in args.only.split(",")}
    if "strict" in wanted:
        results.append(
            check(
                "strict (login per address)",
                rates["THROTTLE_RATE_STRICT"],
                Client(args.target, verify, args.bind),
                login,
                pace=0.3,
            )
        )
        print(f"throttle: {results[-1]}", flush=True)
    if "anon" in wanted:
        results.append(
            check(
                "anon (per address)",
                rates["THROTTLE_RATE_ANON"],
                Client(args.target, verify, args.bind),
                anonymous,
                pace=0.21,
            )
        )
        print(f"throttle: {results[-1]}", flush=True)
    if "burst" in wanted:
        _, token = new_user(args, verify)

        def write(client: Client, pace: float) -> requests.Response:
            # An invalid body: answered 400 by the view, so nothing is created, yet it counts.
            return client.call(
                "POST", "/api/v1/tasks/", json={}, headers={"Authorization": f"Bearer {token}"}
            )

        results.append(
            check(
                "burst (writes per user)",
                rates["THROTTLE_RATE_BURST"],
                Client(args.target, verify, args.bind),
                write,
            )
        )
        print(f"throttle: {results[-1]}", flush=True)
    if "user" in wanted:
        _, user_token = new_user(args, verify)

        def read(client: Client, pace: float) -> requests.Response:
            return client.call(
                "GET", "/api/v1/auth/me/", headers={"Authorization": f"Bearer {user_token}"}
            )

        results.append(
            check(
                "user (requests per user)",
                rates["THROTTLE_RATE_USER"],
                Client(args.target, verify, args.bind),
                read,
            )
        )
        print(f"throttle: {results[-1]}", flush=True)

    print()
    for r in results:
        print(f"  {r['check']:<30} {r['rate']:>12}  {r['result']:<7} {r['detail']}")
    print(
        "  sustained (writes per user)   " + f"{rates['THROTTLE_RATE_SUSTAINED']:>12}"
        "  not run (unreachable under the burst rate in a short check)"
    )
    failed = [r for r in results if r["result"] == "FAIL"]
    if not [r for r in results if r["result"] == "pass"]:
        print("throttle: nothing checked (rates too high: is the stack running with raised rates?)")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
