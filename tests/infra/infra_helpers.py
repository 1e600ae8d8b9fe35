"""Helpers and fixtures of the infrastructure tests: the repository's files, loaded once.

These tests need no Docker engine, cluster or cloud account: they parse the files, render the
kustomize overlays with kubectl and cross-check names, ports, paths and variables between them.
`make validate-infra` runs them with the `infra` dependency group installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / "services" / "api"

# `env("NAME"`, `env.int("NAME"`, `env.db_url("NAME"`, helpers such as `_env_int("NAME"`,
# `os.environ.get("NAME"`, `os.environ.setdefault("NAME"`, `os.getenv("NAME"`, `os.environ["NAME"]`.
_ENV_READ = re.compile(
    r"""(?:\b\w*env\w*(?:\.\w+)?\(\s*|os\.environ\[\s*)["']([A-Z][A-Z0-9_]*)["']"""
)


def repo_path(relative: str) -> Path:
    return ROOT / relative


@cache
def env_vars_read_by_app() -> frozenset[str]:
    """Every environment variable the Django project (settings, Gunicorn config, code) reads."""
    names: set[str] = set()
    for source in (ROOT / "services").rglob("*.py"):
        parts = source.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        names.update(_ENV_READ.findall(source.read_text(encoding="utf-8")))
    return frozenset(names)


# Variables that reach the application containers but are read by something other than the
# project's Python code, each with where it is consumed.
ENV_CONSUMED_ELSEWHERE = {
    "DJANGO_SETTINGS_MODULE": "Django itself (django.conf)",
    "PGSSLMODE": "libpq, under psycopg",
    "HEALTHCHECK_PORT": "the image's HEALTHCHECK (services/api/Dockerfile)",
    "PUBLIC_HOSTS": "the pod spec, which builds DJANGO_ALLOWED_HOSTS from it (k8s/base)",
    "POD_IP": "the pod spec, which builds DJANGO_ALLOWED_HOSTS from it (k8s/base)",
    "INTERNAL_HOSTS": "the pod spec, which builds DJANGO_ALLOWED_HOSTS from it (k8s/base)",
}


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_yaml_documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_yaml(repo_path("compose.yaml"))


@pytest.fixture(scope="session")
def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema; COMPOSE_SCHEMA overrides the shared copy's location."""
    location = os.environ.get("COMPOSE_SCHEMA") or str(
        ROOT.parent / "shared" / "schemas" / "compose-spec.json"
    )
    path = Path(location)
    if not path.is_file():
        pytest.fail(f"Compose schema not found at {path}; set COMPOSE_SCHEMA")
    return json.loads(path.read_text(encoding="utf-8"))


def env_example() -> dict[str, dict[str, str]]:
    """.env.example split into its [app] and [compose] sections."""
    sections: dict[str, dict[str, str]] = {"app": {}, "compose": {}}
    current = None
    for line in repo_path(".env.example").read_text(encoding="utf-8").splitlines():
        marker = re.match(r"#\s*\[(app|compose)\]", line)
        if marker:
            current = marker.group(1)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert current is not None, f".env.example: {line!r} precedes the first [section] marker"
        key, _, value = line.partition("=")
        sections[current][key.strip()] = value
    return sections


def kubectl() -> str:
    candidate = os.environ.get("KUBECTL") or str(ROOT / ".venv" / "bin" / "kubectl")
    if Path(candidate).is_file() or shutil.which(candidate):
        return candidate
    found = shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl not found: run `make infra-tools`")
    return found


def kustomize(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@cache
def rendered_overlay(name: str) -> tuple[dict[str, Any], ...]:
    result = kustomize(ROOT / "k8s" / "overlays" / name)
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize k8s/overlays/{name} failed:\n{result.stderr}")
    return tuple(load_yaml_documents(result.stdout))


@pytest.fixture(scope="session", params=["dev", "prod"])
def overlay(request: pytest.FixtureRequest) -> tuple[str, tuple[dict[str, Any], ...]]:
    return request.param, rendered_overlay(request.param)
