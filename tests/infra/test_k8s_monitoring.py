"""The cluster's monitoring (k8s/monitoring, k8s/monitoring/operator, k8s/components/exporters).

The Debian Prometheus these machines have is built without Kubernetes service discovery, so the
scrape configuration is proven by applying its relabelling, as Prometheus does, to the pods of
each rendered overlay: the targets must be every metrics endpoint under the job names that the
rules and dashboards use. The Operator's ServiceMonitor must find the same jobs through the
Services, and its PrometheusRule must carry exactly the rules of monitoring/prometheus/rules/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from infra_helpers import ROOT, kustomize, load_yaml_documents, rendered_overlay, repo_path

# Every metrics endpoint of the platform: job -> (container port, path).
EXPECTED_TARGETS = {
    "api": (8000, "/metrics"),
    "realtime": (8001, "/metrics"),
    "relay": (9201, "/metrics"),
    "flusher": (9202, "/metrics"),
    "nginx": (9113, "/metrics"),
    "postgres": (9187, "/metrics"),
    "redis": (9121, "/metrics"),
}


def rendered(folder: str) -> list[dict[str, Any]]:
    result = kustomize(ROOT / "k8s" / folder)
    assert result.returncode == 0, result.stderr
    return load_yaml_documents(result.stdout)


def configmap(docs, prefix: str) -> dict[str, str]:
    found = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(prefix)
    ]
    assert len(found) == 1, prefix
    return found[0]["data"]  # type: ignore[no-any-return]


def sanitise(name: str) -> str:
    """Prometheus' label name for a Kubernetes label or annotation key."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def discovered(docs) -> list[dict[str, str]]:
    """What the pod role of kubernetes_sd_configs yields: one target per container port."""
    targets = []
    for index, workload in enumerate(d for d in docs if d["kind"] in {"Deployment", "StatefulSet"}):
        template = workload["spec"]["template"]
        meta = {
            "__meta_kubernetes_namespace": workload["metadata"]["namespace"],
            "__meta_kubernetes_pod_name": f"{workload['metadata']['name']}-0",
            "__meta_kubernetes_pod_phase": "Running",
        }
        for key, value in template["metadata"].get("labels", {}).items():
            meta[f"__meta_kubernetes_pod_label_{sanitise(key)}"] = value
        for key, value in template["metadata"].get("annotations", {}).items():
            meta[f"__meta_kubernetes_pod_annotation_{sanitise(key)}"] = value
        ip = f"10.244.0.{index + 10}"
        for kind, init in (("containers", "false"), ("initContainers", "true")):
            for container in template["spec"].get(kind, []):
                for port in container.get("ports", []):
                    targets.append(
                        meta
                        | {
                            "__address__": f"{ip}:{port['containerPort']}",
                            "__meta_kubernetes_pod_container_init": init,
                            "__metrics_path__": "/metrics",
                            "job": "taskboard",
                        }
                    )
    return targets


def relabel(labels: dict[str, str], configs: list[dict[str, Any]]) -> dict[str, str] | None:
    """Prometheus' relabelling (replace, keep, drop), regexes anchored at both ends."""
    labels = dict(labels)
    for config in configs:
        value = config.get("separator", ";").join(
            labels.get(name, "") for name in config.get("source_labels", [])
        )
        match = re.fullmatch(config.get("regex", "(.*)"), value)
        action = config.get("action", "replace")
        if action == "keep" and not match:
            return None
        if action == "drop" and match:
            return None
        if action == "replace" and match:
            replacement = config.get("replacement", "$1")
            groups = (match[0], *match.groups())
            labels[config["target_label"]] = re.sub(
                r"\$(\d+)", lambda m, groups=groups: groups[int(m[1])] or "", replacement
            )
    return labels


def scrape_targets(docs, prometheus_yml: str) -> set[tuple[str, str, str]]:
    config = yaml.safe_load(prometheus_yml)
    job = next(j for j in config["scrape_configs"] if "kubernetes_sd_configs" in j)
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["taskboard"]}}]
    found = set()
    for target in discovered(docs):
        labels = relabel(target, job["relabel_configs"])
        if labels is not None:
            found.add(
                (labels["job"], labels["__address__"].rsplit(":", 1)[1], labels["__metrics_path__"])
            )
    return found


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_service_discovery_finds_every_metrics_endpoint_under_its_job(overlay):
    prometheus_yml = configmap(rendered("monitoring"), "prometheus-config-")["prometheus.yml"]
    found = scrape_targets(rendered_overlay(overlay), prometheus_yml)
    assert found == {(job, str(port), path) for job, (port, path) in EXPECTED_TARGETS.items()}


def test_an_unannotated_pod_is_not_scraped():
    prometheus_yml = configmap(rendered("monitoring"), "prometheus-config-")["prometheus.yml"]
    docs = [d for d in rendered_overlay("dev") if d["metadata"]["name"] != "nginx"]
    nginx = next(
        d
        for d in rendered_overlay("dev")
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "nginx"
    )
    quiet = yaml.safe_load(yaml.safe_dump(nginx))
    del quiet["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"]
    found = scrape_targets([*docs, quiet], prometheus_yml)
    assert "nginx" not in {job for job, _, _ in found}


def test_rules_reference_the_jobs_and_exporters_that_exist():
    rules = configmap(rendered("monitoring"), "prometheus-rules-")
    text = "".join(rules.values())
    for metric in ("pg_up", "redis_up", "nginx_up"):
        assert metric in text, metric


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool: make stack-install")
def test_promtool_accepts_the_cluster_rules(tmp_path):
    rules = configmap(rendered("monitoring"), "prometheus-rules-")
    for name, text in rules.items():
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["promtool", "check", "rules", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_is_provisioned_with_the_datasource_and_every_dashboard():
    docs = rendered("monitoring")
    grafana = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "grafana"
    )
    mounts = {
        m["name"]: m["mountPath"]
        for m in grafana["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    providers = yaml.safe_load(configmap(docs, "grafana-providers-")["taskboard.yml"])
    assert providers["providers"][0]["options"]["path"] == mounts["dashboards"]
    dashboards = configmap(docs, "grafana-dashboards-")
    assert set(dashboards) == {
        p.name for p in repo_path("monitoring/grafana/dashboards").glob("*.json")
    }
    datasource = yaml.safe_load(configmap(docs, "grafana-datasources-")["prometheus.yml"])[
        "datasources"
    ][0]
    service = next(
        d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "prometheus"
    )
    assert datasource["url"] == f"http://prometheus:{service['spec']['ports'][0]['port']}"


def test_the_operator_servicemonitor_finds_the_same_jobs():
    monitor = next(d for d in rendered("monitoring/operator") if d["kind"] == "ServiceMonitor")
    spec = monitor["spec"]
    ports = {e["port"] for e in spec["endpoints"]}
    for overlay in ("dev", "prod"):
        docs = rendered_overlay(overlay)
        services = [
            d
            for d in docs
            if d["kind"] == "Service" and spec["jobLabel"] in d["metadata"].get("labels", {})
        ]
        jobs = {}
        for service in services:
            names = {p["name"] for p in service["spec"]["ports"]}
            assert names & ports, service["metadata"]["name"]
            jobs[service["metadata"]["labels"][spec["jobLabel"]]] = service
        assert set(jobs) == set(EXPECTED_TARGETS), overlay


def test_the_prometheus_rule_carries_exactly_the_rules():
    rule = next(d for d in rendered("monitoring/operator") if d["kind"] == "PrometheusRule")
    assert rule["metadata"]["namespace"] == "taskboard"
    groups = []
    for name in ("recording.yml", "alerts.yml"):
        groups += yaml.safe_load(repo_path(f"monitoring/prometheus/rules/{name}").read_text())[
            "groups"
        ]
    shipped = rule["spec"]["groups"]
    assert [g["name"] for g in shipped] == [g["name"] for g in groups]
    for mine, source in zip(shipped, groups, strict=True):
        for a, b in zip(mine["rules"], source["rules"], strict=True):
            url = a.get("annotations", {}).get("runbook_url")
            if url:
                assert url.startswith("https://") and url.endswith(b["annotations"]["runbook_url"])
                a = {
                    **a,
                    "annotations": {
                        **a["annotations"],
                        "runbook_url": b["annotations"]["runbook_url"],
                    },
                }
            assert a == b
