"""Who may talk to whom under the rendered NetworkPolicies (netpol.py).

Every pair of endpoints (the overlay's pods, k8s/loadtest's and k8s/monitoring's pods, the
cluster's ingress controller, DNS and API server, the managed databases and the internet) is
tried on every port the target listens on; the allowed set must be exactly the flows below.
"""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

import pytest
from infra_helpers import ROOT, kustomize, load_yaml_documents, rendered_overlay, repo_path
from netpol import Cluster, Endpoint, endpoint

NAMESPACE = "taskboard"
APP_CLIENTS = ("api", "realtime", "relay", "flusher", "migrate")


def rendered(folder: str) -> list[dict[str, Any]]:
    result = kustomize(ROOT / "k8s" / folder)
    assert result.returncode == 0, result.stderr
    return load_yaml_documents(result.stdout)


def pods(docs) -> list[Endpoint]:
    found = []
    for doc in docs:
        if doc["kind"] not in {"Deployment", "StatefulSet", "Job"}:
            continue
        template = doc["spec"]["template"]
        ports = {
            p.get("name", str(p["containerPort"])): p["containerPort"]
            for c in template["spec"]["containers"]
            for p in c.get("ports", [])
        }
        namespace = doc["metadata"].get("namespace", NAMESPACE)
        found.append(
            endpoint(doc["metadata"]["name"], namespace, template["metadata"]["labels"], ports)
        )
    return found


def vpc_address(offset: int) -> str:
    cidr = next(
        line.split("=", 1)[1]
        for line in repo_path("k8s/overlays/prod/terraform-outputs.env").read_text().splitlines()
        if line.startswith("VPC_CIDR=")
    )
    return str(ipaddress.ip_network(cidr)[offset])


def world(overlay: str) -> tuple[Cluster, list[Endpoint]]:
    docs = list(rendered_overlay(overlay)) + rendered("loadtest") + rendered("monitoring")
    endpoints = [
        *pods(docs),
        endpoint("ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, {}),
        endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53}),
        endpoint("kube-apiserver", "", {}, {"https": 6443}, ip="172.18.0.2"),
        endpoint("internet", "", {}, {"https": 443}, ip="203.0.113.5"),
    ]
    if overlay == "prod":
        endpoints += [
            endpoint("rds", "", {}, {"postgres": 5432}, ip=vpc_address(1000)),
            endpoint("elasticache", "", {}, {"redis": 6379}, ip=vpc_address(2000)),
        ]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert {p["metadata"].get("namespace") for p in policies} == {NAMESPACE, "monitoring"}
    return Cluster(policies), endpoints


def expected_flows(overlay: str, inside: set[str]) -> set[tuple[str, str, int]]:
    postgres, redis = ("postgres", "redis") if overlay == "dev" else ("rds", "elasticache")
    flows = {
        ("ingress-nginx", "nginx", 8443),
        ("ingress-nginx", "nginx", 8080),
        ("nginx", "api", 8000),
        ("nginx", "realtime", 8001),
        ("prometheus", "api", 8000),
        ("prometheus", "realtime", 8001),
        ("prometheus", "relay", 9201),
        ("prometheus", "flusher", 9202),
        ("prometheus", "nginx", 9113),
        ("prometheus", "postgres-exporter", 9187),
        ("prometheus", "redis-exporter", 9121),
        ("prometheus", "alertmanager", 9093),
        ("prometheus", "kube-apiserver", 6443),
        # Egress by port only (the API server's address differs per cluster): 443 anywhere.
        ("prometheus", "internet", 443),
        ("alertmanager", "internet", 443),
        ("grafana", "prometheus", 9090),
        ("postgres-exporter", postgres, 5432),
        ("redis-exporter", redis, 6379),
        # The exporters are backend clients: the same egress as the application's pods.
        ("postgres-exporter", redis, 6379),
        ("redis-exporter", postgres, 5432),
        ("locust-worker", "locust-master", 5557),
        ("locust-worker", "nginx", 8443),
    }
    flows |= {(c, postgres, 5432) for c in APP_CLIENTS} | {(c, redis, 6379) for c in APP_CLIENTS}
    # Every pod resolves names; the cluster's own components are outside these policies.
    flows |= {(n, "kube-dns", 53) for n in inside}
    return flows


def reachable(cluster: Cluster, endpoints: list[Endpoint]) -> set[tuple[str, str, int]]:
    return {
        (source.name, target.name, port)
        for source, target in itertools.permutations(endpoints, 2)
        for _, port in target.ports
        if cluster.allows(source, target, port)
    }


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_exactly_the_designed_flows_are_reachable(overlay):
    cluster, endpoints = world(overlay)
    inside = {e.name for e in endpoints if e.namespace in {NAMESPACE, "monitoring"}}
    found = reachable(cluster, endpoints)
    # Endpoints outside the namespace are not subject to its policies: their own egress is
    # free, so only flows into or out of the namespace's pods are the policies' business.
    found = {f for f in found if f[0] in inside or f[1] in inside}
    expected = expected_flows(overlay, inside)
    assert found - expected == set(), "allowed but not designed"
    assert expected - found == set(), "designed but blocked"


def test_the_load_test_cannot_reach_the_backends_or_the_internet():
    cluster, endpoints = world("dev")
    by_name = {e.name: e for e in endpoints}
    for source in ("locust-master", "locust-worker"):
        for target, port in (("api", 8000), ("postgres", 5432), ("redis", 6379), ("internet", 443)):
            assert not cluster.allows(by_name[source], by_name[target], port), (source, target)


def test_the_evaluator_denies_without_a_rule_and_honours_named_ports():
    # Given a default deny and one rule naming the target's port by name
    policies = [
        {
            "metadata": {"name": "deny", "namespace": "n"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "metadata": {"name": "web", "namespace": "n"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "web"}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchExpressions": [{"key": "app", "operator": "Exists"}]
                                }
                            }
                        ],
                        "ports": [{"port": "http"}],
                    }
                ],
            },
        },
        {
            "metadata": {"name": "client", "namespace": "n"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "client"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
            },
        },
    ]
    cluster = Cluster(policies)
    web = endpoint("web", "n", {"app": "web"}, {"http": 8080, "admin": 9000})
    client = endpoint("client", "n", {"app": "client"})
    stranger = endpoint("stranger", "n", {"role": "x"})
    # Then only the named port is open, only to a pod whose own egress allows it
    assert cluster.allows(client, web, 8080)
    assert not cluster.allows(client, web, 9000)
    assert not cluster.allows(stranger, web, 8080)
    assert not cluster.allows(web, client, 8080)
