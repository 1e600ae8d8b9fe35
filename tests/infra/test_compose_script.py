"""scripts/compose/compose.py: the engine it picks, the env file it writes, and, on podman, the
order in which it starts compose.yaml's services (each once its depends_on conditions hold).

The real run on podman is `make test-compose`; these tests exercise the decisions without an
engine: a fake podman answers for the containers.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from infra_helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts" / "compose"))

import compose  # found through the path added just above


@pytest.fixture
def project() -> compose.Project:
    return compose.Project.load(["monitoring"])


def test_interpolation_takes_the_value_else_the_default():
    assert compose.interpolate("${LOCUST_WORKERS:-2}", {}) == "2"
    assert compose.interpolate("${LOCUST_WORKERS:-2}", {"LOCUST_WORKERS": "1"}) == "1"
    assert compose.interpolate("a-${X}-b", {"X": "y"}) == "a-y-b"


def test_the_env_file_gets_fresh_secrets_and_the_overrides(tmp_path: Path):
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    compose.write_env(first, {"NGINX_HTTPS_PORT": "18443", "PROMETHEUS_PORT": "19090"})
    compose.write_env(second, {})
    one, two = compose.read_env_file(first), compose.read_env_file(second)
    for secret in compose.SECRETS:
        assert one[secret] and one[secret] != two[secret], secret
    assert len(one["DJANGO_SECRET_KEY"]) >= 50
    assert one["NGINX_HTTPS_PORT"] == "18443" and two["NGINX_HTTPS_PORT"] == "8443"
    # A variable .env.example does not list is appended.
    assert one["PROMETHEUS_PORT"] == "19090"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_profiles_select_services(project: compose.Project):
    default = {s.name for s in project.active([])}
    assert {"postgres", "api", "nginx"} <= default
    assert not default & {"prometheus", "locust-master"}
    assert "prometheus" in {s.name for s in project.active(["monitoring"])}


def test_what_up_waits_for(project: compose.Project):
    services = project.services
    assert services["migrate"].ready_condition == "service_completed_successfully"
    assert services["api"].ready_condition == "service_healthy"
    assert services["api"].depends_on["migrate"] == "service_completed_successfully"
    assert services["nginx"].depends_on["api"] == "service_healthy"


class FakePodman(compose.Podman):
    """Containers that become healthy, or complete, a few polls after they start."""

    def __init__(self, project: compose.Project, failing: str | None = None) -> None:
        super().__init__(project, "test", ["podman-compose"])
        self.failing = failing
        self.batches: list[list[str]] = []
        self.polls: dict[str, int] = {}

    def prepare_images(self, services: list[compose.Service]) -> None:
        pass

    def runnable(self, services: list[compose.Service]) -> list[compose.Service]:
        return services

    def remove_outdated(self, services: list[compose.Service]) -> None:
        pass

    def started(self, command: list[str]) -> None:
        names = command[command.index("--no-build") + 1 :]
        self.batches.append(names)
        self.polls.update(dict.fromkeys(names, 0))

    def met(self, service: str, condition: str) -> bool:
        if service not in self.polls:
            return False
        self.polls[service] += 1
        if service == self.failing and self.polls[service] > 1:
            raise compose.ComposeError(f"{service} exited with status 1")
        return condition == "service_started" or self.polls[service] > 2


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, project: compose.Project) -> FakePodman:
    engine = FakePodman(project)
    monkeypatch.setattr(compose, "check", lambda command, *a, **k: engine.started(command))
    monkeypatch.setattr(compose.time, "sleep", lambda seconds: None)
    return engine


def test_podman_starts_each_service_once_its_dependencies_hold(fake: FakePodman, project):
    services = project.active([]) + [project.services[n] for n in ("prometheus", "alertmanager")]
    fake.up(services, wait=True)

    order = {name: i for i, batch in enumerate(fake.batches) for name in batch}
    assert sorted(order) == sorted(s.name for s in services)
    for service in services:
        for dependency in service.depends_on:
            assert order[dependency] < order[service.name], (service.name, dependency)
    assert order["nginx"] == max(order.values())
    # Independent services share a batch: PostgreSQL, Redis, collectstatic and Alertmanager.
    assert {"postgres", "redis", "collectstatic", "alertmanager"} <= set(fake.batches[0])


def test_a_failed_dependency_stops_up_with_its_name(monkeypatch, project):
    engine = FakePodman(project, failing="migrate")
    monkeypatch.setattr(compose, "check", lambda command, *a, **k: engine.started(command))
    monkeypatch.setattr(compose.time, "sleep", lambda seconds: None)
    with pytest.raises(compose.ComposeError, match="migrate exited"):
        engine.up(project.active([]), wait=True)
    assert not any("api" in batch for batch in engine.batches)


def test_without_a_docker_engine_podman_is_chosen_and_the_reason_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: compose.Project
):
    # A docker client whose engine does not answer, as on machines without one.
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    docker.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("COMPOSE_ENGINE", raising=False)
    monkeypatch.setattr(compose.shutil, "which", lambda name: str(tmp_path / name))
    monkeypatch.setattr(compose, "podman_compose_tool", lambda: ["podman-compose"])

    engine = compose.choose_engine(project)

    assert isinstance(engine, compose.Podman)
    assert "no Docker engine answers (Cannot connect to the Docker daemon)" in engine.reason


def test_compose_engine_forces_docker(monkeypatch: pytest.MonkeyPatch, project):
    monkeypatch.setenv("COMPOSE_ENGINE", "docker")
    monkeypatch.setattr(compose, "docker_answers", lambda: (False, "no Docker engine answers"))
    assert isinstance(compose.choose_engine(project), compose.Docker)
