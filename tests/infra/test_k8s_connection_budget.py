"""PostgreSQL's connection budget, recomputed from the rendered overlays.

The peak is reached when every autoscaled Deployment is at its HPA's maxReplicas and a rolling
update adds its surge pods on top (the old pods keep their pools until they stop); each process
holds up to DB_POOL_MAX_SIZE connections. It must stay under the server's max_connections less
the slots PostgreSQL keeps for superusers, and docs/scaling.md must state the same figures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import hcl2
import pytest
from infra_helpers import rendered_overlay, repo_path

# PostgreSQL's superuser_reserved_connections default; RDS keeps 2 more for its own agents
# (rds.rds_superuser_reserved_connections), counted for prod.
RESERVED = {"dev": 3, "prod": 3 + 2}


@dataclass(frozen=True)
class Share:
    workload: str
    pods: int
    surge: int
    processes: int
    pool: int

    @property
    def connections(self) -> int:
        return (self.pods + self.surge) * self.processes * self.pool


def surge_pods(workload: dict[str, Any], pods: int) -> int:
    strategy = workload["spec"].get("strategy", {"type": "RollingUpdate"})
    if strategy["type"] == "Recreate" or workload["kind"] == "Job":
        return 0
    surge = str(strategy.get("rollingUpdate", {}).get("maxSurge", "25%"))
    return math.ceil(pods * int(surge[:-1]) / 100) if surge.endswith("%") else int(surge)


def budget(docs: tuple[dict[str, Any], ...]) -> list[Share]:
    """Each PostgreSQL client's share of the peak, from the objects as rendered."""
    config = next(
        d["data"]
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("taskboard-config-")
    )
    pool = int(config["DB_POOL_MAX_SIZE"])
    ceiling = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
        for h in docs
        if h["kind"] == "HorizontalPodAutoscaler"
    }
    shares = []
    for workload in docs:
        if workload["kind"] not in {"Deployment", "Job"}:
            continue
        template = workload["spec"]["template"]
        main = template["spec"]["containers"][0]
        if not any(
            e.get("valueFrom", {}).get("secretKeyRef", {}).get("key") == "DATABASE_URL"
            for e in main.get("env", [])
        ):
            continue  # not a PostgreSQL client
        name = workload["metadata"]["name"]
        if name in ceiling:
            assert "replicas" not in workload["spec"], f"{name}: the HPA owns replicas"
            pods = ceiling[name]
        else:
            pods = workload["spec"].get("replicas", workload["spec"].get("parallelism", 1))
        # Init containers finish before the main container opens its pool: the main one counts.
        gunicorn = main.get("command", [""])[0] == "gunicorn"
        processes = int(config["GUNICORN_WORKERS"]) if gunicorn else 1
        # A container's own env entry wins over its envFrom ConfigMap; postgres_exporter (no
        # envFrom) holds one connection.
        own = {e["name"]: e.get("value") for e in main.get("env", [])}
        size = int(own.get("DB_POOL_MAX_SIZE") or (pool if main.get("envFrom") else 1))
        shares.append(Share(name, pods, surge_pods(workload, pods), processes, size))
    return shares


def max_connections(overlay: str, docs: tuple[dict[str, Any], ...]) -> int:
    if overlay == "dev":
        postgres = next(
            d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "postgres"
        )
        args = " ".join(postgres["spec"]["template"]["spec"]["containers"][0]["args"])
        return int(re.search(r"max_connections=(\d+)", args)[1])  # type: ignore[index]
    main = hcl2.loads(repo_path("terraform/envs/prod/main.tf").read_text(encoding="utf-8"))
    postgres = next(m['"postgres"'] for m in main["module"] if '"postgres"' in m)
    return int(postgres["max_connections"])


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_peak_during_a_surge_fits_max_connections(overlay):
    docs = rendered_overlay(overlay)
    shares = budget(docs)
    assert {s.workload for s in shares} == {
        "api",
        "realtime",
        "relay",
        "flusher",
        "migrate",
        "postgres-exporter",
    }
    peak = sum(s.connections for s in shares)
    limit = max_connections(overlay, docs) - RESERVED[overlay]
    assert peak <= limit, f"{overlay}: {peak} connections at peak > {limit}: {shares}"


def test_docs_state_the_computed_prod_budget():
    shares = {s.workload: s for s in budget(rendered_overlay("prod"))}
    peak = sum(s.connections for s in shares.values())
    text = repo_path("docs/scaling.md").read_text(encoding="utf-8")
    for share in shares.values():
        cells = (share.workload, share.pods, share.surge, share.processes, share.pool)
        line = "| " + " | ".join(map(str, (*cells, share.connections))) + " |"
        assert line in text, f"docs/scaling.md lacks the row: {line}"
    assert f"| **peak** | | | | | **{peak}** |" in text
    assert f"max_connections = {max_connections('prod', ())}" in text


def test_a_budget_over_the_limit_fails():
    docs = rendered_overlay("prod")
    bigger = tuple(
        {**d, "spec": {**d["spec"], "maxReplicas": d["spec"]["maxReplicas"] * 4}}
        if d["kind"] == "HorizontalPodAutoscaler"
        else d
        for d in docs
    )
    assert sum(s.connections for s in budget(bigger)) > max_connections("prod", docs)
