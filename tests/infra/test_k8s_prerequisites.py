"""The fresh-cluster path: pinned prerequisites and a kind cluster that fits the manifests.

k8s/prerequisites/kind names remote manifests, which these machines cannot fetch; what can be
checked offline is checked here.
"""

from __future__ import annotations

import re

from infra_helpers import load_yaml, rendered_overlay, repo_path

PINNED = re.compile(r"/(v\d+\.\d+\.\d+|controller-v\d+\.\d+\.\d+)/")


def test_every_prerequisite_is_pinned_to_a_release():
    kustomization = load_yaml(repo_path("k8s/prerequisites/kind/kustomization.yaml"))
    urls = kustomization["resources"]
    assert len(urls) == 3
    for url in urls:
        assert url.startswith("https://") and PINNED.search(url), url
        assert not re.search(r"/(latest|main|master)/", url), url


def test_the_helm_commands_install_the_same_releases():
    urls = " ".join(load_yaml(repo_path("k8s/prerequisites/kind/kustomization.yaml"))["resources"])
    guide = repo_path("docs/deploy-kubernetes.md").read_text(encoding="utf-8")
    cert_manager = re.search(r"cert-manager/releases/download/(v[\d.]+)/", urls)[1]  # type: ignore[index]
    assert f"--version {cert_manager} " in guide


def test_the_kind_cluster_serves_the_ingress_and_matches_the_trusted_range():
    cluster = load_yaml(repo_path("k8s/kind/cluster.yaml"))
    (node,) = cluster["nodes"]
    assert node["labels"]["ingress-ready"] == "true"
    assert {m["containerPort"] for m in node["extraPortMappings"]} == {80, 443}
    nginx = next(
        d
        for d in rendered_overlay("dev")
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "nginx"
    )
    env = {
        e["name"]: e.get("value") for e in nginx["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["NGINX_REAL_IP_FROM"] == cluster["networking"]["podSubnet"]


def test_the_dev_ingress_answers_for_the_host_the_guide_curls():
    ingress = next(d for d in rendered_overlay("dev") if d["kind"] == "Ingress")
    guide = repo_path("docs/deploy-kubernetes.md").read_text(encoding="utf-8")
    host = ingress["spec"]["rules"][0]["host"]
    assert f"https://{host}/readyz" in guide
    assert ingress["metadata"]["annotations"]["cert-manager.io/issuer"] == "selfsigned"
