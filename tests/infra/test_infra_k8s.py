"""k8s/: the rendered overlays hold together, are hardened, and follow their sources.

`make validate-infra` also runs kubernetes-validate (three Kubernetes versions) and checkov on
the same renders; these tests check what neither knows: references between objects, the flows
of docs/architecture.md, and the copies of nginx/ and monitoring/ that kustomize reads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from infra_helpers import (
    ENV_CONSUMED_ELSEWHERE,
    ROOT,
    env_vars_read_by_app,
    kustomize,
    load_yaml,
    load_yaml_documents,
    rendered_overlay,
    repo_path,
)

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job"}
APP_DEPLOYMENTS = ("api", "realtime", "relay", "flusher")
CRD_KINDS = {("cert-manager.io/v1", "Certificate"), ("cert-manager.io/v1", "Issuer")}


def objects(docs, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def generated_config(docs, name: str) -> dict[str, str]:
    """The data of a generated ConfigMap, whose name ends in a content hash."""
    found = [
        doc
        for doc in docs
        if doc["kind"] == "ConfigMap"
        and re.fullmatch(rf"{name}-[a-z0-9]{{10}}", doc["metadata"]["name"])
    ]
    assert len(found) == 1, [doc["metadata"]["name"] for doc in found]
    return found[0]["data"]


def app_config(docs) -> dict[str, str]:
    return generated_config(docs, "taskboard-config")


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def all_containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def runs_the_application(workload: dict[str, Any]) -> bool:
    """Whether the workload's containers run the application image (taskboard:<tag>)."""
    images = {c["image"].rsplit("/", 1)[-1].split(":")[0] for c in all_containers(workload)}
    return "taskboard" in images


def workloads(docs) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] in WORKLOAD_KINDS]


def kubernetes_validate() -> str:
    found = shutil.which("kubernetes-validate") or str(
        ROOT / ".venv" / "bin" / "kubernetes-validate"
    )
    if not Path(found).is_file():
        pytest.fail("kubernetes-validate not found: run `make infra-tools`")
    return found


# --- rendering and schema -----------------------------------------------------------------------


def test_everything_is_namespaced_in_taskboard(overlay):
    _, docs = overlay
    for doc in docs:
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == "taskboard"
            assert doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
            continue
        assert doc["metadata"].get("namespace") == "taskboard", (
            f"{doc['kind']}/{doc['metadata']['name']}"
        )


def test_only_known_custom_resources(overlay):
    builtin_groups = (
        "v1",
        "apps/",
        "batch/",
        "autoscaling/",
        "policy/",
        "networking.k8s.io/",
        "rbac.authorization.k8s.io/",
    )
    _, docs = overlay
    for doc in docs:
        if doc["apiVersion"].startswith(builtin_groups):
            continue
        assert (doc["apiVersion"], doc["kind"]) in CRD_KINDS, (
            f"unexpected custom resource {doc['kind']}"
        )


def test_a_broken_overlay_fails_to_render(tmp_path):
    overlay = tmp_path / "k8s"
    shutil.copytree(ROOT / "k8s", overlay)
    kustomization = overlay / "base" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("  - api.yaml\n", "  - api-missing.yaml\n")
    )
    result = kustomize(overlay / "overlays" / "prod")
    assert result.returncode != 0 and "api-missing.yaml" in result.stderr


def test_kubernetes_validate_rejects_an_invalid_manifest(tmp_path):
    docs = list(rendered_overlay("prod"))
    api = objects(docs, "Deployment")["api"]
    broken = dict(api, spec=dict(api["spec"], replicas="four", paused="no"))
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = subprocess.run(
        [kubernetes_validate(), "--strict", "--quiet", "-k", "1.35.0", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout + result.stderr


def test_kubernetes_validate_rejects_an_unknown_field(tmp_path):
    docs = list(rendered_overlay("prod"))
    service = objects(docs, "Service")["api"]
    broken = dict(service, spec=dict(service["spec"], selectr={"a": "b"}))
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = subprocess.run(
        [kubernetes_validate(), "--strict", "--quiet", "-k", "1.37.0", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0, "strict validation accepted an unknown field"


# --- pods: security, resources, probes ----------------------------------------------------------


def test_every_pod_meets_the_restricted_profile(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), name
        for container in all_containers(workload):
            context = container["securityContext"]
            where = f"{name} container {container['name']}"
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert not context.get("privileged"), where
            uid = context.get("runAsUser", spec["securityContext"].get("runAsUser"))
            assert isinstance(uid, int) and uid >= 10000, f"{where}: runAsUser {uid}"


def test_every_container_has_requests_and_limits(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        for container in all_containers(workload):
            resources = container.get("resources", {})
            for section in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(section, {})), (
                    f"{workload['metadata']['name']}/{container['name']} lacks {section}"
                )


def test_long_running_containers_have_probes(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        if workload["kind"] == "Job":
            continue
        for container in pod_spec(workload)["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert "livenessProbe" in container and "readinessProbe" in container, where


def test_http_processes_probe_healthz_and_readyz(overlay):
    _, docs = overlay
    deployments = objects(docs, "Deployment")
    for name in ("api", "realtime"):
        container = pod_spec(deployments[name])["containers"][0]
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name


def test_writable_paths_are_empty_dirs(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        for container in all_containers(workload):
            for mount in container.get("volumeMounts", []):
                if mount.get("readOnly"):
                    continue
                volume = volumes.get(mount["name"])
                template_names = {
                    t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])
                }
                assert volume is not None or mount["name"] in template_names, mount["name"]
                if volume is not None:
                    assert "emptyDir" in volume, (
                        f"{workload['metadata']['name']}: {mount['mountPath']} is writable"
                    )


def test_django_accepts_the_public_hosts_and_the_pod_ip(overlay):
    _, docs = overlay
    config = app_config(docs)
    assert config["PUBLIC_HOSTS"] and "DJANGO_ALLOWED_HOSTS" not in config
    for workload in workloads(docs):
        if "taskboard.io/backend-client" not in workload["spec"]["template"]["metadata"]["labels"]:
            continue
        if not runs_the_application(workload):
            continue  # the exporters (k8s/components/exporters) are no Django process
        for container in all_containers(workload):
            names = [item["name"] for item in container["env"]]
            env = {item["name"]: item for item in container["env"]}
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP", where
            hosts = env["DJANGO_ALLOWED_HOSTS"]["value"]
            assert hosts == "$(PUBLIC_HOSTS),$(INTERNAL_HOSTS),$(POD_IP)", where
            # $(VAR) expands only variables defined before it.
            assert names.index("POD_IP") < names.index("DJANGO_ALLOWED_HOSTS"), where


def test_api_has_a_multiprocess_metrics_dir_and_tmp(overlay):
    _, docs = overlay
    api = objects(docs, "Deployment")["api"]
    container = pod_spec(api)["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(api)["volumes"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts
    assert volumes[mounts[env["PROMETHEUS_MULTIPROC_DIR"]]]["emptyDir"]["medium"] == "Memory"
    assert "/tmp" in mounts  # noqa: S108 - a mount point, not a temporary file


def test_realtime_drains_websockets_before_stopping(overlay):
    _, docs = overlay
    realtime = objects(docs, "Deployment")["realtime"]
    spec = pod_spec(realtime)
    pre_stop = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 10
    assert spec["terminationGracePeriodSeconds"] > pre_stop + 10


def test_multi_replica_deployments_spread_over_zones_and_nodes(overlay):
    name, docs = overlay
    for deployment in ("api", "realtime", "nginx"):
        constraints = pod_spec(objects(docs, "Deployment")[deployment])["topologySpreadConstraints"]
        keys = {c["topologyKey"]: c["whenUnsatisfiable"] for c in constraints}
        assert set(keys) == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        if name == "prod":
            assert keys["topology.kubernetes.io/zone"] == "DoNotSchedule", deployment


def test_application_pods_wait_for_migrations(overlay):
    _, docs = overlay
    deployments = objects(docs, "Deployment")
    for name in APP_DEPLOYMENTS:
        init = pod_spec(deployments[name])["initContainers"]
        assert init[0]["name"] == "wait-for-migrations", name
        assert "migrate --check" in " ".join(init[0]["command"])
    job = objects(docs, "Job")["migrate"]
    assert pod_spec(job)["containers"][0]["command"] == [
        "python",
        "manage.py",
        "migrate",
        "--no-input",
    ]


def test_processes_run_the_same_commands_as_in_compose(overlay, compose):
    _, docs = overlay
    for name in APP_DEPLOYMENTS:
        container = pod_spec(objects(docs, "Deployment")[name])["containers"][0]
        assert container["command"] == compose["services"][name]["command"], name
    job = pod_spec(objects(docs, "Job")["migrate"])["containers"][0]
    assert job["command"] == compose["services"]["migrate"]["command"]


def test_one_image_runs_every_application_process(overlay):
    name, docs = overlay
    images = set()
    for workload in workloads(docs):
        for container in all_containers(workload):
            if "taskboard" in container["image"]:
                images.add(container["image"])
    assert len(images) == 1, images
    if name == "prod":
        outputs = env_file(repo_path("k8s/overlays/prod/terraform-outputs.env"))
        release = env_file(repo_path("k8s/overlays/prod/release.env"))
        assert images == {f"{outputs['IMAGE_REPOSITORY']}:{release['IMAGE_TAG']}"}


# --- references between objects -----------------------------------------------------------------


def pod_labels(docs) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
    return [
        (w["spec"]["template"]["metadata"]["labels"], pod_spec(w)["containers"])
        for w in workloads(docs)
    ]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_services_select_pods_and_named_ports(overlay):
    _, docs = overlay
    pods = pod_labels(docs)
    for name, service in objects(docs, "Service").items():
        matched = [
            containers
            for labels, containers in pods
            if selects(service["spec"]["selector"], labels)
        ]
        assert matched, f"Service {name} selects no pod"
        port_names = {
            p.get("name") for containers in matched for c in containers for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, (
                f"Service {name}: no container port {port['targetPort']}"
            )


def test_autoscalers_budgets_and_ingress_point_at_existing_objects(overlay):
    _, docs = overlay
    deployments = objects(docs, "Deployment")
    for name, hpa in objects(docs, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments, name
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert set(objects(docs, "HorizontalPodAutoscaler")) == {"api", "realtime", "nginx"}
    for name, budget in objects(docs, "PodDisruptionBudget").items():
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(
            selects(selector, d["spec"]["template"]["metadata"]["labels"])
            for d in deployments.values()
        ), name
    services = objects(docs, "Service")
    ingress = objects(docs, "Ingress")["taskboard"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["port"]["name"] in {
        p["name"] for p in services[backend["name"]]["spec"]["ports"]
    }
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


def test_scrape_annotations_name_a_container_port(overlay):
    _, docs = overlay
    for workload in workloads(docs):
        annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true":
            continue
        ports = {
            p["containerPort"] for c in pod_spec(workload)["containers"] for p in c.get("ports", [])
        }
        assert int(annotations["prometheus.io/port"]) in ports, workload["metadata"]["name"]
        assert annotations["prometheus.io/path"] == "/metrics"
    scraped = {
        w["metadata"]["name"]
        for w in workloads(docs)
        if w["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/scrape")
        == "true"
    }
    assert {"api", "realtime", "relay", "flusher", "nginx"} <= scraped


def test_secret_keys_used_are_the_keys_provided(overlay):
    name, docs = overlay
    template = load_yaml(repo_path("k8s/base/secret.template.yaml"))
    provided = set(template["stringData"])
    if name == "dev":
        script = repo_path("k8s/scripts/create-dev-secrets.sh").read_text(encoding="utf-8")
        provided |= set(re.findall(r'"([A-Z_]+)": ', script))
    used = set()
    for workload in workloads(docs):
        for container in all_containers(workload):
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "taskboard-secrets"
                    used.add(ref["key"])
        for volume in pod_spec(workload).get("volumes", []):
            secret = volume.get("secret")
            if secret and secret["secretName"] == "taskboard-secrets":
                used.update(item["key"] for item in secret["items"])
    assert used <= provided, f"keys no secret source provides: {used - provided}"
    sync = repo_path("k8s/scripts/sync-secrets.sh").read_text(encoding="utf-8")
    assert set(template["stringData"]) <= set(re.findall(r'"([A-Z_]+)"', sync))


def test_application_environment_is_read_by_the_application(overlay):
    _, docs = overlay
    names = set(app_config(docs))
    for name in APP_DEPLOYMENTS:
        for container in all_containers(objects(docs, "Deployment")[name]):
            names |= {item["name"] for item in container.get("env", [])}
    unknown = sorted(
        n for n in names if n not in env_vars_read_by_app() and n not in ENV_CONSUMED_ELSEWHERE
    )
    assert unknown == [], f"set for the application but read by nothing: {unknown}"


# --- network policies: default deny plus the flows of docs/architecture.md ------------------------


def policy_allows(docs, source: dict[str, str], target: dict[str, str], port: int) -> bool:
    """Whether the policies let pods labelled `source` reach pods labelled `target` on `port`."""
    policies = list(objects(docs, "NetworkPolicy").values())

    def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
        if "matchLabels" in selector and not selects(selector["matchLabels"], labels):
            return False
        for expression in selector.get("matchExpressions", []):
            if (
                expression["operator"] == "In"
                and labels.get(expression["key"]) not in expression["values"]
            ):
                return False
        return True

    def port_ok(rule: dict[str, Any]) -> bool:
        return not rule.get("ports") or any(p.get("port") == port for p in rule["ports"])

    egress = any(
        matches(p["spec"]["podSelector"], source)
        and any(
            port_ok(rule)
            and any(
                "podSelector" in peer
                and "namespaceSelector" not in peer
                and matches(peer["podSelector"], target)
                for peer in rule.get("to", [])
            )
            for rule in p["spec"].get("egress", [])
        )
        for p in policies
        if "Egress" in p["spec"]["policyTypes"]
    )
    target_has_ingress_policy = any(
        matches(p["spec"]["podSelector"], target) and "Ingress" in p["spec"]["policyTypes"]
        for p in policies
    )
    ingress = any(
        matches(p["spec"]["podSelector"], target)
        and any(
            port_ok(rule)
            and any(
                "podSelector" in peer
                and "namespaceSelector" not in peer
                and matches(peer["podSelector"], source)
                for peer in rule.get("from", [])
            )
            for rule in p["spec"].get("ingress", [])
        )
        for p in policies
        if "Ingress" in p["spec"]["policyTypes"]
    )
    return egress and target_has_ingress_policy and ingress


def test_default_deny_covers_every_pod(overlay):
    _, docs = overlay
    deny = objects(docs, "NetworkPolicy")["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny


def test_the_flows_of_the_design_are_allowed_and_others_are_not(overlay):
    name, docs = overlay
    labels = {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs)
    }
    assert policy_allows(docs, labels["nginx"], labels["api"], 8000)
    assert policy_allows(docs, labels["nginx"], labels["realtime"], 8001)
    assert not policy_allows(docs, labels["api"], labels["realtime"], 8001)
    assert not policy_allows(docs, labels["relay"], labels["api"], 8000)
    assert not policy_allows(docs, labels["nginx"], labels["relay"], 9201)
    if name == "dev":
        for client in ("api", "realtime", "relay", "flusher", "migrate"):
            assert policy_allows(docs, labels[client], labels["postgres"], 5432), client
            assert policy_allows(docs, labels[client], labels["redis"], 6379), client
        assert not policy_allows(docs, labels["nginx"], labels["postgres"], 5432)
    else:
        egress = objects(docs, "NetworkPolicy")["backend-clients-egress"]["spec"]["egress"][0]
        cidr = env_file(repo_path("k8s/overlays/prod/terraform-outputs.env"))["VPC_CIDR"]
        assert egress["to"] == [{"ipBlock": {"cidr": cidr}}]
        assert {p["port"] for p in egress["ports"]} == {5432, 6379}


# --- overlays -----------------------------------------------------------------------------------


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_dev_runs_postgres_and_redis_in_the_cluster():
    docs = rendered_overlay("dev")
    assert set(objects(docs, "StatefulSet")) == {"postgres", "redis"}
    for name, statefulset in objects(docs, "StatefulSet").items():
        assert statefulset["spec"]["volumeClaimTemplates"], name


def test_prod_uses_managed_backends_and_more_replicas():
    prod, dev = rendered_overlay("prod"), rendered_overlay("dev")
    assert objects(prod, "StatefulSet") == {}
    prod_hpa, dev_hpa = (
        objects(prod, "HorizontalPodAutoscaler"),
        objects(dev, "HorizontalPodAutoscaler"),
    )
    for name in prod_hpa:
        assert prod_hpa[name]["spec"]["minReplicas"] > dev_hpa[name]["spec"]["minReplicas"], name
        assert prod_hpa[name]["spec"]["minReplicas"] >= 3, name
    config = app_config(prod)
    assert config["PGSSLMODE"] == "require"
    # The replacement inputs are local configuration, not deployed objects.
    assert "terraform-outputs" not in objects(prod, "ConfigMap")
    assert "release" not in objects(prod, "ConfigMap")


def test_prod_consumes_the_terraform_outputs():
    prod = rendered_overlay("prod")
    outputs = env_file(repo_path("k8s/overlays/prod/terraform-outputs.env"))
    ingress = objects(prod, "Ingress")["taskboard"]
    assert ingress["spec"]["rules"][0]["host"] == outputs["APP_HOSTNAME"]
    config = app_config(prod)
    assert config["PUBLIC_HOSTS"] == outputs["APP_HOSTNAME"]
    assert config["DJANGO_CSRF_TRUSTED_ORIGINS"] == f"https://{outputs['APP_HOSTNAME']}"
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    # Every key Terraform outputs is one the overlay file carries, and no other.
    for env in ("prod", "staging"):
        parsed = hcl2.loads(
            repo_path(f"terraform/envs/{env}/outputs.tf").read_text(encoding="utf-8")
        )
        output = next(o['"k8s_overlay_env"'] for o in parsed["output"] if '"k8s_overlay_env"' in o)
        value = output["value"]
        keys = (
            {k for k in value if not k.startswith("__")}
            if isinstance(value, dict)
            else set(re.findall(r"(\w+)\s*=", value))
        )
        assert keys == set(outputs), env


# --- the copies kustomize reads -------------------------------------------------------------------


def test_config_copies_match_their_sources():
    result = subprocess.run(
        ["python3", str(ROOT / "k8s" / "scripts" / "sync-config.py"), "--check"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_sync_check_detects_a_stale_copy(tmp_path):
    for part in ("k8s", "nginx", "monitoring"):
        shutil.copytree(ROOT / part, tmp_path / part)
    stale = tmp_path / "k8s" / "base" / "config" / "nginx" / "nginx.conf"
    stale.write_text(stale.read_text() + "\n# drift\n")
    result = subprocess.run(
        ["python3", str(tmp_path / "k8s" / "scripts" / "sync-config.py"), "--check"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "stale copy" in result.stderr


K8S_ONLY_CONFIG = {"real-ip.conf.template"}


def test_every_copied_file_is_in_a_generated_configmap():
    kustomization = load_yaml(repo_path("k8s/base/kustomization.yaml"))
    listed = {
        f for generator in kustomization["configMapGenerator"] for f in generator.get("files", [])
    }
    copies = {
        str(path.relative_to(repo_path("k8s/base")))
        for path in repo_path("k8s/base/config").rglob("*")
        if path.is_file()
    }
    # Besides the copies, only files of k8s/base's own (no source elsewhere to copy from).
    assert copies <= listed and listed - copies == K8S_ONLY_CONFIG
    for name in K8S_ONLY_CONFIG:
        assert repo_path(f"k8s/base/{name}").is_file(), name


def test_nginx_deployment_renders_the_same_template_variables():
    docs = rendered_overlay("prod")
    nginx = objects(docs, "Deployment")["nginx"]
    container = next(c for c in pod_spec(nginx)["containers"] if c["name"] == "nginx")
    given = {item["name"] for item in container["env"]} - {"NGINX_ENVSUBST_FILTER"}
    templates = generated_config(docs, "nginx-templates")
    assert set(templates) == {"taskboard.conf.template", "real-ip.conf.template"}
    templates = "".join(templates.values())
    assert given == set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", templates))
    env = {item["name"]: item["value"] for item in container["env"]}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/etc/nginx/nginx.conf", "/etc/nginx/templates", "/etc/nginx/snippets"} <= mounts
    assert env["NGINX_TLS_CERT"].rsplit("/", 1)[0] in mounts and env["NGINX_STATIC_ROOT"] in mounts
    assert {"/etc/nginx/conf.d", env["NGINX_TEMP_DIR"]} <= mounts
    assert (
        env["NGINX_API_UPSTREAM"] == "api:8000"
        and env["NGINX_REALTIME_UPSTREAM"] == "realtime:8001"
    )
    # The entrypoint that renders the templates runs only if the image's command is kept.
    assert "command" not in container and container["args"][0] == "nginx"
    certificate = objects(docs, "Certificate")["nginx-internal-tls"]
    tls_volume = next(v for v in pod_spec(nginx)["volumes"] if v["name"] == "tls")
    assert tls_volume["secret"]["secretName"] == certificate["spec"]["secretName"]


def test_alert_rules_ship_with_the_cluster_monitoring_with_absolute_runbooks():
    result = kustomize(ROOT / "k8s" / "monitoring")
    assert result.returncode == 0, result.stderr
    docs = load_yaml_documents(result.stdout)
    rules = generated_config(docs, "prometheus-rules")
    base = env_file(repo_path("k8s/monitoring/settings.env"))["RUNBOOK_BASE_URL"]
    assert base.startswith("https://") and base.endswith("/")
    for name in ("alerts.yml", "recording.yml"):
        source = repo_path(f"monitoring/prometheus/rules/{name}").read_text(encoding="utf-8")
        assert rules[name] == source.replace("runbook_url: docs/", f"runbook_url: {base}docs/")
    urls = re.findall(r"runbook_url: (\S+)", rules["alerts.yml"])
    assert urls and all(u.startswith(base + "docs/monitoring.md#") for u in urls)
    # The rules no longer ship in the platform's namespace, where no Prometheus could mount them.
    assert not any(
        d["kind"] == "ConfigMap" and "prometheus-rules" in d["metadata"]["name"]
        for d in rendered_overlay("prod")
    )
