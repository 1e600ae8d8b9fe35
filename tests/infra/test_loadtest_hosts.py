"""The Host each load test sends is one the platform accepts (else every request is a 400).

The Kubernetes run is also proven end to end by test_k8s_manifests_run.py (nginx and the api
started from the rendered manifests, answering that Host).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from infra_helpers import ROOT, env_example, kustomize, load_yaml_documents, rendered_overlay


def test_the_compose_locust_host_is_an_allowed_host(compose):
    target = compose["services"]["locust-master"]["environment"]["LOCUST_HOST"]
    # compose.yaml adds the names used inside the project to the public hosts of .env.
    template = compose["services"]["api"]["environment"]["DJANGO_ALLOWED_HOSTS"]
    public = env_example()["compose"]["PUBLIC_HOSTS"]
    allowed = re.sub(r"\$\{PUBLIC_HOSTS(:-[^}]*)?\}", public, template).split(",")
    assert urlsplit(target).hostname in allowed, (target, allowed)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_cluster_locust_host_is_an_allowed_host(overlay):
    result = kustomize(ROOT / "k8s" / "loadtest")
    assert result.returncode == 0, result.stderr
    settings = next(
        d["data"]
        for d in load_yaml_documents(result.stdout)
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("locust-settings")
    )
    config = next(
        d["data"]
        for d in rendered_overlay(overlay)
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("taskboard-config-")
    )
    allowed = config["PUBLIC_HOSTS"].split(",") + config["INTERNAL_HOSTS"].split(",")
    assert urlsplit(settings["LOCUST_HOST"]).hostname in allowed
