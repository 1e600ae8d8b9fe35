"""Each overlay's containers, run natively as the kubelet would run them (manifest_run.py).

Against the local PostgreSQL and Redis, in a database and a Redis db of this test's own
(TEST_DATABASE_URL's name + "_manifests", TEST_REDIS_URL), on free ports:

1. the migrate Job's command completes, then each wait-for-migrations init container passes;
2. api, realtime, relay and flusher, the nginx exporter sidecar and the PostgreSQL and Redis
   exporters start with their manifest's command and environment, every httpGet probe answers
   200 at its path, and each exporter reaches its server (pg_up, redis_up, nginx_up are 1);
3. nginx starts with the template rendered from the nginx container's environment, proxies to
   them, and accepts the Host headers that clients in and out of the cluster send (the public
   host, and k8s/loadtest's Locust target), refusing any other; a WebSocket with the load
   test's Host and origin reaches the realtime consumer;
4. behind a trusted proxy (the Ingress controller's role, played by 127.0.0.1), nginx's auth rate
   limit counts per client address from X-Forwarded-For.

The exporters run as Debian's builds of the same exporters. The one substitution besides
addresses: the prod run sets PGSSLMODE=disable, since the local server speaks no TLS and the
prod overlay requires it from the managed database.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
import websocket
from infra_helpers import ROOT, kustomize, load_yaml_documents, rendered_overlay
from manifest_run import Cluster, Process, http_get

APP_DEPLOYMENTS = ("api", "realtime", "relay", "flusher")
EXPORTERS = ("postgres-exporter", "redis-exporter")
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
START_SECONDS = 90


def database_urls() -> tuple[str, str, str]:
    """(admin URL, URL of this test's own database, its name)."""
    base = urlsplit(
        os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/taskboard_test")
    )
    name = (base.path.lstrip("/") or "taskboard") + "_manifests"
    return base._replace(path="/postgres").geturl(), base._replace(path=f"/{name}").geturl(), name


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, str]]:
    admin, url, name = database_urls()
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield {"DATABASE_URL": url, "REDIS_URL": redis_url}
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["dev", "prod"])
def running(request: pytest.FixtureRequest, backends: dict[str, str]) -> Iterator[dict[str, Any]]:
    """One overlay's application pods and nginx, up and probed."""
    name = request.param
    # Throttle counters of an earlier run would answer 429 where this run expects none.
    redis.Redis.from_url(backends["REDIS_URL"]).flushdb()
    base = Path(tempfile.mkdtemp(prefix=f"taskboard-k8s-{name}-"))
    base.chmod(0o755)  # nginx's workers run as nobody and read below it
    secret = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        **backends,
        "POSTGRES_PASSWORD": "unused-by-the-application",
        "REDIS_PASSWORD": "unused-by-the-application",
    }
    cluster = Cluster(rendered_overlay(name), base, secret)
    config = next(
        cluster.configmap(n)
        for n in cluster.objects("ConfigMap")
        if n.startswith("taskboard-config-")
    )
    # The local server speaks no TLS, like dev's in-cluster one (whose setting is used as it
    # is); prod requires TLS from the managed server, so that run is told to do without.
    assert config["PGSSLMODE"] == {"dev": "disable", "prod": "require"}[name]
    override = {"PGSSLMODE": "disable"} if name == "prod" else {}
    started: list[Process] = []
    try:
        migrate = cluster.start(cluster.pods["migrate"], "migrate", env_override=override)
        assert migrate.wait(timeout=300) == 0, migrate.output()
        for deployment in APP_DEPLOYMENTS:
            pod = cluster.pods[deployment]
            for init in pod.containers("initContainers"):
                waited = cluster.start(pod, init["name"], env_override=override)
                assert waited.wait(timeout=120) == 0, waited.output()
            started.append(cluster.start(pod, deployment, env_override=override))
        nginx_pod = cluster.pods["nginx"]
        started.append(cluster.start(nginx_pod, "nginx"))
        # Debian's nginx exporter (0.11) exits when nginx does not answer yet, where the image's
        # (1.4.2) retries: start it once nginx's own probe passes.
        started[-1].probe("startupProbe", time.monotonic() + START_SECONDS)
        started.append(cluster.start(nginx_pod, "exporter"))
        for exporter in EXPORTERS:
            started.append(cluster.start(cluster.pods[exporter], "exporter", env_override=override))
        yield {"name": name, "cluster": cluster, "processes": started, "config": config}
    finally:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(base, ignore_errors=True)


def process(running: dict[str, Any], pod: str, container: str) -> Process:
    return next(
        p for p in running["processes"] if p.pod.name == pod and p.container["name"] == container
    )


def test_every_probe_answers_at_its_path(running):
    deadline = time.monotonic() + START_SECONDS
    answered = []
    for started in running["processes"]:
        for kind in PROBES:
            if "httpGet" not in started.container.get(kind, {}):
                continue
            status, body = started.probe(kind, deadline)
            where = f"{started.pod.name}/{started.container['name']} {kind}"
            assert status == 200, f"{where}: {status} {body[:300]}\n{started.output()}"
            answered.append(where)
    # Three probes for every application container and nginx, two for each exporter.
    assert len(answered) == 3 * (len(APP_DEPLOYMENTS) + 1) + 2 * (len(EXPORTERS) + 1), answered


def test_the_exporters_see_their_servers(running):
    """What PostgresDown, RedisDown and NginxDown read: each exporter reaches its server with
    the connection settings of the manifests."""
    deadline = time.monotonic() + START_SECONDS
    for pod, metric in (
        ("postgres-exporter", "pg_up"),
        ("redis-exporter", "redis_up"),
        ("nginx", "nginx_up"),
    ):
        exporter = process(running, pod, "exporter")
        port = exporter.pod.port(exporter.container, "metrics")
        status, body = http_get(f"http://127.0.0.1:{port}/metrics", deadline=deadline)
        assert status == 200, body[:300]
        values = [line.split()[-1] for line in body.splitlines() if line.startswith(metric + " ")]
        assert values == ["1"], f"{pod}: {metric} {values}\n{exporter.output()}"


def nginx_https(running: dict[str, Any]) -> tuple[str, ssl.SSLContext]:
    nginx = process(running, "nginx", "nginx")
    port = nginx.pod.port(nginx.container, "https")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return f"https://127.0.0.1:{port}", context


def loadtest_host() -> str:
    """The Host k8s/loadtest's Locust sends: its LOCUST_HOST's authority."""
    result = kustomize(ROOT / "k8s" / "loadtest")
    assert result.returncode == 0, result.stderr
    settings = next(
        d["data"]
        for d in load_yaml_documents(result.stdout)
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("locust-settings")
    )
    return urlsplit(settings["LOCUST_HOST"]).netloc


def test_nginx_serves_the_hosts_clients_send_and_refuses_others(running):
    url, context = nginx_https(running)
    deadline = time.monotonic() + START_SECONDS
    public = running["config"]["PUBLIC_HOSTS"].split(",")[0]
    for host in (public, f"{public}:443", loadtest_host()):
        status, body = http_get(
            f"{url}/readyz", deadline=deadline, headers={"Host": host}, context=context
        )
        assert status == 200, f"Host {host}: {status} {body[:300]}"
        # An API answer from the application itself: the error envelope, not a host refusal.
        status, body = http_get(
            f"{url}/api/v1/auth/me/", deadline=deadline, headers={"Host": host}, context=context
        )
        assert status == 401 and json.loads(body)["error"]["code"] == "not_authenticated", body
    status, body = http_get(
        f"{url}/readyz", deadline=deadline, headers={"Host": "evil.example"}, context=context
    )
    assert status == 400, f"an unknown Host got {status}"


def test_websockets_open_through_nginx_for_the_load_test_host(running):
    """Locust's socket users connect to wss://<LOCUST_HOST>/ws/v1/ with that origin: the
    handshake must pass nginx and realtime's host and origin checks, and the consumer answer."""
    url, _ = nginx_https(running)
    host = loadtest_host()
    connection = websocket.create_connection(
        url.replace("https://", "wss://") + "/ws/v1/",
        timeout=15,
        sslopt={"cert_reqs": ssl.CERT_NONE, "check_hostname": False},
        host=host,
        origin=f"https://{host}",
    )
    try:
        assert connection.getstatus() == 101
        # A token that is no token: the consumer itself closes the socket with 4401.
        connection.send(json.dumps({"type": "auth", "token": "not-a-token"}))
        opcode, data = connection.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(data[:2], "big") == 4401
    finally:
        connection.close()


def post_login(
    url: str, context: ssl.SSLContext, host: str, client: str, source: str = "127.0.0.1"
) -> int:
    """POST wrong credentials to the token endpoint as `client` behind the proxy at `source`."""
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(
        parts.hostname, parts.port, context=context, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=json.dumps({"username": "nobody", "password": "wrong"}),
            headers={"Host": host, "Content-Type": "application/json", "X-Forwarded-For": client},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_auth_rate_limit_counts_per_client_behind_the_ingress(running):
    """nginx with the cluster's real-ip template, the trusted range being the test's address."""
    cluster: Cluster = running["cluster"]
    process(running, "nginx", "nginx").stop()
    proxied = cluster.start(
        cluster.pods["nginx"], "nginx", env_override={"NGINX_REAL_IP_FROM": "127.0.0.1/32"}
    )
    running["processes"].append(proxied)
    url, context = nginx_https(running | {"processes": [proxied]})
    host = running["config"]["PUBLIC_HOSTS"].split(",")[0]
    http_get(
        f"{url}/readyz",
        deadline=time.monotonic() + START_SECONDS,
        headers={"Host": host},
        context=context,
    )
    # Given one client past the burst (5 r/s, burst 10) ...
    first = [post_login(url, context, host, "198.51.100.7") for _ in range(20)]
    assert 429 in first, first
    # ... another client behind the same proxy is not limited by nginx
    assert post_login(url, context, host, "198.51.100.8") == 401
    # ... and the access log names the clients, not the proxy
    logged = access_log(proxied, "198.51.100.8")
    assert {e["remote_addr"] for e in logged} == {"198.51.100.7", "198.51.100.8"}
    # An address outside the trusted range keeps its own, whatever it claims.
    assert post_login(url, context, host, "198.51.100.9", source="127.0.0.2") == 401
    logged = access_log(proxied, "198.51.100.9")
    assert [e["remote_addr"] for e in logged if e["x_forwarded_for"] == "198.51.100.9"] == [
        "127.0.0.2"
    ]


def access_log(nginx: Process, client: str) -> list[dict[str, Any]]:
    """The token requests in nginx's JSON access log, once one from `client` is there (each
    worker flushes its log buffer within a second)."""
    deadline = time.monotonic() + 10
    while True:
        lines = nginx.log.read_text(encoding="utf-8", errors="replace").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith('{"time"')]
        entries = [e for e in entries if e["path"] == "/api/v1/auth/token/"]
        if any(e["x_forwarded_for"] == client for e in entries):
            return entries
        assert time.monotonic() < deadline, f"no request of {client} logged: {entries[-3:]}"
        time.sleep(0.2)
