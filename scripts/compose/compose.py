#!/usr/bin/env python3
"""`make up`, `make down` and `make logs` on Docker Compose or on podman (docs/deploy-compose.md).

Docker Compose runs compose.yaml wherever a Docker engine answers. Elsewhere podman does, through
podman-compose (or `podman compose`), with what podman 4.3 without systemd lacks done here:

- images: the application image is built with `podman build` from the local Debian bases that
  containers/bases/make-bases.sh makes (no image registry needed), and compose.yaml's service
  images are pointed at the matching local bases (POSTGRES_IMAGE, NGINX_IMAGE, ...);
- start-up order: podman-compose ignores `depends_on` conditions and podman runs no healthcheck
  on a timer, so each service is started on its own (`up --no-deps`) once the services it
  depends on are healthy (`podman healthcheck run`, polled), completed successfully or started,
  exactly as its `depends_on` says; `up` returns once every service is healthy or completed.

    compose.py engine                        which engine `up` would use, and why
    compose.py up [--profile P] [SERVICE...] build and start (all of the profiles' services)
    compose.py down [--volumes]              stop and remove every container of the project
    compose.py logs [--follow] [SERVICE]     the services' logs
    compose.py exec SERVICE CMD...           run a command in a running service
    compose.py wait SERVICE                  wait for a service's container to exit; its status
    compose.py write-env PATH [K=V...]       an env file from .env.example with fresh secrets

COMPOSE_ENGINE=docker|podman forces the engine; COMPOSE_PROJECT_NAME (taskboard) names the
project and prefixes everything it creates; TASKBOARD_ENV_FILE (.env) is the settings file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
BASES_SCRIPT = ROOT / "containers" / "bases" / "make-bases.sh"
PODMAN_INSTALL = ROOT / "containers" / "podman" / "install.sh"
PODMAN_CONF = ROOT / "containers" / "podman" / "containers.conf"
DOCKERFILE = ROOT / "services" / "api" / "Dockerfile"
ALL_PROFILES = ("monitoring", "loadtest")

# The local base standing in for each public image compose.yaml names (make-bases.sh makes
# them). Grafana has none: Debian does not package it.
LOCAL_BASE_PREFIX = os.environ.get("LOCAL_BASE_PREFIX", "localhost/taskboard-base")
LOCAL_IMAGES = {
    "PYTHON_IMAGE": "python",
    "POSTGRES_IMAGE": "postgres",
    "REDIS_IMAGE": "redis",
    "NGINX_IMAGE": "nginx",
    "PROMETHEUS_IMAGE": "prometheus",
    "ALERTMANAGER_IMAGE": "alertmanager",
    "POSTGRES_EXPORTER_IMAGE": "postgres-exporter",
    "REDIS_EXPORTER_IMAGE": "redis-exporter",
    "NGINX_EXPORTER_IMAGE": "nginx-exporter",
    "NODE_EXPORTER_IMAGE": "node-exporter",
}
# The base each local image is made from (make-bases.sh's names).
BASE_OF = dict.fromkeys(LOCAL_IMAGES.values(), "monitoring") | {
    "python": "python",
    "postgres": "postgres",
    "redis": "redis",
    "nginx": "nginx",
}

SECRETS = {
    "DJANGO_SECRET_KEY": lambda: secrets.token_urlsafe(64),
    "POSTGRES_PASSWORD": lambda: secrets.token_hex(24),
    "REDIS_PASSWORD": lambda: secrets.token_hex(24),
    "GRAFANA_ADMIN_PASSWORD": lambda: secrets.token_urlsafe(18),
}


def say(message: str) -> None:
    print(f"compose: {message}", flush=True)


class ComposeError(RuntimeError):
    pass


def run(
    command: list[str], *, env: dict[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME:-default} (the one form this script needs to read, e.g. replicas)."""

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3) or ""
        return variables.get(name) or default

    return re.sub(r"\$\{([A-Z0-9_]+)(:?-([^}]*))?\}", substitute, value)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def write_env(path: Path, overrides: dict[str, str]) -> None:
    """.env.example with a fresh random value for every empty secret, then the overrides."""
    lines = []
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            if key in overrides:
                value = overrides.pop(key)
            elif key in SECRETS and not value:
                value = SECRETS[key]()
            line = f"{key}={value}"
        lines.append(line)
    lines += [f"{key}={value}" for key, value in overrides.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = os.umask(0o077)
    try:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    finally:
        os.umask(previous)


# --- the project: services, profiles and their dependencies -------------------------------------


@dataclass
class Service:
    name: str
    spec: dict[str, Any]

    @property
    def depends_on(self) -> dict[str, str]:
        deps = self.spec.get("depends_on") or {}
        if isinstance(deps, list):
            return dict.fromkeys(deps, "service_started")
        return {name: (d or {}).get("condition", "service_started") for name, d in deps.items()}

    @property
    def has_healthcheck(self) -> bool:
        check = self.spec.get("healthcheck")
        return bool(check) and not check.get("disable")

    @property
    def one_shot(self) -> bool:
        return str(self.spec.get("restart", "")) == "no"

    @property
    def ready_condition(self) -> str:
        """What `up` waits for before it reports the service up."""
        if self.one_shot:
            return "service_completed_successfully"
        return "service_healthy" if self.has_healthcheck else "service_started"


@dataclass
class Project:
    name: str
    env_file: Path
    profiles: list[str]
    services: dict[str, Service] = field(default_factory=dict)

    @classmethod
    def load(cls, profiles: list[str]) -> Project:
        document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
        name = os.environ.get("COMPOSE_PROJECT_NAME") or document.get("name", "taskboard")
        env_file = Path(os.environ.get("TASKBOARD_ENV_FILE", ".env"))
        if not env_file.is_absolute():
            env_file = ROOT / env_file
        services = {n: Service(n, spec) for n, spec in document["services"].items()}
        return cls(name, env_file, profiles, services)

    def active(self, profiles: list[str] | None = None) -> list[Service]:
        chosen = set(self.profiles if profiles is None else profiles)
        return [
            s
            for s in self.services.values()
            if not s.spec.get("profiles") or chosen & set(s.spec["profiles"])
        ]

    def variables(self) -> dict[str, str]:
        return {**read_env_file(self.env_file), **os.environ}


# --- engines --------------------------------------------------------------------------------------


class Engine:
    name = ""

    def __init__(self, project: Project, reason: str) -> None:
        self.project = project
        self.reason = reason

    def compose(self, *args: str, profiles: list[str] | None = None) -> list[str]:
        raise NotImplementedError

    def project_arguments(self, profiles: list[str] | None = None) -> list[str]:
        """What both engines' compose commands say of the project: name, env, file, profiles."""
        chosen = self.project.profiles if profiles is None else profiles
        return [
            "--project-name",
            self.project.name,
            "--env-file",
            str(self.project.env_file),
            "--file",
            str(COMPOSE_FILE),
            *[arg for p in chosen for arg in ("--profile", p)],
        ]

    def up(self, services: list[Service], wait: bool) -> None:
        raise NotImplementedError

    def down(self, volumes: bool) -> None:
        raise NotImplementedError

    def logs(self, service: str | None, follow: bool, tail: int) -> int:
        args = ["logs", f"--tail={tail}"] + (["--follow"] if follow else [])
        command = self.compose(*args, *([service] if service else []), profiles=ALL_PROFILES)
        return subprocess.call(command, env=self.env())

    def exec(self, service: str, command: list[str]) -> int:
        return subprocess.call(self.compose("exec", "-T", service, *command), env=self.env())

    def wait(self, service: str, timeout: float) -> int:
        raise NotImplementedError

    def status(self, service: Service) -> str:
        """healthy, completed, running (no healthcheck), or what is wrong."""
        raise NotImplementedError

    def leftovers(self) -> list[str]:
        """The project's containers, networks and volumes that still exist."""
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)


class Docker(Engine):
    name = "docker"

    def compose(self, *args: str, profiles: list[str] | None = None) -> list[str]:
        return [
            "docker",
            "compose",
            *self.project_arguments(profiles),
            *args,
        ]

    def up(self, services: list[Service], wait: bool) -> None:
        # Docker Compose honours every depends_on condition and restart policy itself; --wait
        # returns once the services are healthy (or, for one-shot jobs, completed).
        names = [s.name for s in services]
        args = ["up", "--build", "--detach"]
        if wait:
            args += ["--wait", "--wait-timeout", os.environ.get("COMPOSE_WAIT_TIMEOUT", "600")]
        check(self.compose(*args, *names), "docker compose up", quiet=False)

    def down(self, volumes: bool) -> None:
        args = ["down", "--remove-orphans"] + (["--volumes"] if volumes else [])
        check(self.compose(*args, profiles=list(ALL_PROFILES)), "docker compose down", quiet=False)

    def wait(self, service: str, timeout: float) -> int:
        result = run(self.compose("wait", service), timeout=timeout)
        return int(result.stdout.strip() or 1)

    def status(self, service: Service) -> str:
        result = run(self.compose("ps", "--all", "--format", "json", service.name), timeout=60)
        # One object per line (Compose 2.21+), or one array (earlier releases).
        lines = []
        for line in result.stdout.splitlines():
            if line.strip():
                parsed = json.loads(line)
                lines += parsed if isinstance(parsed, list) else [parsed]
        if not lines:
            return "missing"
        states = set()
        for container in lines:
            state, health = container.get("State", ""), container.get("Health", "")
            if state == "exited":
                code = container.get("ExitCode", 1)
                states.add("completed" if code == 0 else f"exited {code}")
            else:
                states.add(health or state)
        return states.pop() if len(states) == 1 else " ".join(sorted(states))

    def leftovers(self) -> list[str]:
        label = f"label=com.docker.compose.project={self.project.name}"
        found = []
        for kind in ("container", "network", "volume"):
            listing = ["docker", kind, "ls", "--quiet", "--filter", label]
            if kind == "container":
                listing.insert(3, "--all")
            found += [f"{kind} {name}" for name in run(listing, timeout=60).stdout.split()]
        return found


class Podman(Engine):
    name = "podman"

    def __init__(self, project: Project, reason: str, tool: list[str]) -> None:
        super().__init__(project, reason)
        self.tool = tool
        self.healthy: set[str] = set()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("CONTAINERS_CONF", str(PODMAN_CONF))
        if env.get("LOCAL_BASES", "1") == "1":
            # Interpolated into compose.yaml: the local bases stand in for the public images,
            # unless the caller named an image (in the environment or the env file).
            configured = read_env_file(self.project.env_file)
            for variable, image in LOCAL_IMAGES.items():
                if variable not in env and variable not in configured:
                    env[variable] = f"{LOCAL_BASE_PREFIX}/{image}:bookworm"
        return env

    def compose(self, *args: str, profiles: list[str] | None = None) -> list[str]:
        # No pod: each container joins the project network on its own, as with Docker.
        pod = ["--in-pod", "false"] if self.tool[-1].endswith("podman-compose") else []
        return [
            *self.tool,
            *pod,
            *self.project_arguments(profiles),
            *args,
        ]

    def podman(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run(["podman", *args], env=self.env(), timeout=timeout)

    # images

    def prepare_images(self, services: list[Service]) -> None:
        env = self.env()
        if env.get("LOCAL_BASES", "1") == "1":
            needed = {"python"}
            for service in services:
                image = str(service.spec.get("image", ""))
                for variable, local in LOCAL_IMAGES.items():
                    if "${" + variable in image:
                        needed.add(BASE_OF[local])
            started = time.monotonic()
            check(
                ["bash", str(BASES_SCRIPT), *sorted(needed)], "make-bases.sh", env=env, quiet=False
            )
            say(f"local bases ready ({time.monotonic() - started:.0f} s)")
        targets = ["runtime"]
        if any(s.spec.get("build", {}).get("target") == "loadtest" for s in services):
            targets.append("loadtest")
        variables = self.project.variables()
        for target in targets:
            spec = next(
                s.spec
                for s in self.project.services.values()
                if s.spec.get("build", {}).get("target") == target
            )
            tag = interpolate(str(spec["image"]), variables)
            started = time.monotonic()
            # Host networking: the build reaches the package registries the way the host does.
            # --format docker keeps the Dockerfile's SHELL and HEALTHCHECK (OCI images drop them).
            build = [
                "podman",
                "build",
                "--network=host",
                "--format=docker",
                "--target",
                target,
                "--tag",
                tag,
                "--file",
                str(DOCKERFILE),
            ]
            if env.get("PYTHON_IMAGE"):
                build += ["--build-arg", f"PYTHON_IMAGE={env['PYTHON_IMAGE']}"]
            check([*build, str(ROOT)], f"podman build --target {target}", env=env, quiet=False)
            say(f"built {tag} ({time.monotonic() - started:.0f} s)")

    # containers

    def containers(self, service: str | None = None) -> list[str]:
        args = ["ps", "--all", "--format", "{{.Names}}"]
        args += ["--filter", f"label=io.podman.compose.project={self.project.name}"]
        if service:
            args += ["--filter", f"label=io.podman.compose.service={service}"]
        return sorted(self.podman(*args).stdout.split())

    def state(self, container: str) -> tuple[str, int]:
        result = self.podman(
            "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container
        )
        status, _, code = result.stdout.strip().partition(" ")
        return status, int(code or 0)

    def met(self, service: str, condition: str) -> bool:
        """Whether `service` satisfies a depends_on condition; raises once it never will."""
        containers = self.containers(service)
        if not containers:
            return False
        for container in containers:
            status, code = self.state(container)
            if condition == "service_completed_successfully":
                if status in ("exited", "stopped") and code != 0:
                    raise ComposeError(f"{service} exited with status {code}{self.tail(container)}")
                if status not in ("exited", "stopped"):
                    return False
                continue
            if status in ("exited", "stopped", "dead"):
                raise ComposeError(f"{service} stopped (status {code}){self.tail(container)}")
            if status != "running":
                return False
            if condition == "service_healthy" and container not in self.healthy:
                # Runs the container's healthcheck now (podman 4.3 runs none on a timer here).
                if self.podman("healthcheck", "run", container, timeout=60).returncode != 0:
                    return False
                self.healthy.add(container)
        return True

    def tail(self, container: str, lines: int = 30) -> str:
        result = self.podman("logs", "--tail", str(lines), container)
        return "\n  last lines of its log:\n    " + "\n    ".join(
            (result.stdout + result.stderr).splitlines()
        )

    def image_id(self, image: str) -> str | None:
        result = self.podman("image", "inspect", "--format", "{{.Id}}", image)
        return result.stdout.strip() or None if result.returncode == 0 else None

    def runnable(self, services: list[Service]) -> list[Service]:
        """The services whose image is here; the others are named and left out (Grafana has no
        local base: Debian does not package it)."""
        variables = {**self.project.variables(), **self.env()}
        kept = []
        for service in services:
            image = interpolate(str(service.spec.get("image", "")), variables)
            if "build" in service.spec or self.image_id(image):
                kept.append(service)
            else:
                say(f"{service.name}: skipped, image {image} is not here (no local base for it)")
        return kept

    def remove_outdated(self, services: list[Service]) -> None:
        """podman-compose keeps a container whose image was rebuilt; Docker Compose recreates it.
        Removing it here gives `make up` Docker's behaviour: the new build runs."""
        variables = {**self.project.variables(), **self.env()}
        for service in services:
            current = self.image_id(interpolate(str(service.spec.get("image", "")), variables))
            for container in self.containers(service.name):
                used = self.podman("inspect", "--format", "{{.Image}}", container).stdout.strip()
                if current and used != current:
                    say(f"{service.name}: image changed, replacing {container}")
                    self.podman("rm", "--force", "--time", "30", container, timeout=120)

    def up(self, services: list[Service], wait: bool) -> None:
        self.prepare_images(services)
        services = self.runnable(services)
        self.remove_outdated(services)
        env = self.env()
        pending = list(services)
        deadline = time.monotonic() + float(os.environ.get("COMPOSE_WAIT_TIMEOUT", "600"))
        started_at = time.monotonic()
        waiting_on = ""
        while True:
            ready = []
            for service in pending:
                unmet = [
                    f"{dep} ({condition.removeprefix('service_')})"
                    for dep, condition in service.depends_on.items()
                    if not self.met(dep, condition)
                ]
                if unmet:
                    waiting_on = f"{service.name} waits for {', '.join(unmet)}"
                else:
                    ready.append(service)
            if ready:
                names = [s.name for s in ready]
                say(f"starting {' '.join(names)} (+{time.monotonic() - started_at:.0f} s)")
                # --no-deps: this loop has already waited for the dependencies as depends_on
                # says; --no-build: the images were built above.
                check(
                    self.compose("up", "--detach", "--no-deps", "--no-build", *names),
                    "podman-compose up",
                    env=env,
                )
                pending = [s for s in pending if s.name not in names]
                continue
            if not pending:
                if not wait:
                    return
                not_ready = [s for s in services if not self.met(s.name, s.ready_condition)]
                if not not_ready:
                    say(f"every service is up (+{time.monotonic() - started_at:.0f} s)")
                    return
                waiting_on = "waiting for " + ", ".join(
                    f"{s.name} ({s.ready_condition.removeprefix('service_')})" for s in not_ready
                )
            if time.monotonic() > deadline:
                raise ComposeError(f"timed out: {waiting_on}")
            time.sleep(1)

    def status(self, service: Service) -> str:
        states = set()
        for container in self.containers(service.name) or ["missing"]:
            if container == "missing":
                return "missing"
            status, code = self.state(container)
            if status in ("exited", "stopped"):
                states.add("completed" if code == 0 else f"exited {code}")
            elif status != "running" or not service.has_healthcheck:
                states.add(status)
            else:
                healthy = self.podman("healthcheck", "run", container, timeout=60).returncode == 0
                states.add("healthy" if healthy else "unhealthy")
        return states.pop() if len(states) == 1 else " ".join(sorted(states))

    def leftovers(self) -> list[str]:
        label = f"label=io.podman.compose.project={self.project.name}"
        found = [f"container {name}" for name in self.containers()]
        for kind in ("network", "volume"):
            names = self.podman(kind, "ls", "--format", "{{.Name}}", "--filter", label).stdout
            found += [f"{kind} {name}" for name in names.split()]
        return found

    def down(self, volumes: bool) -> None:
        containers = self.containers()
        if containers:
            say(f"stopping {len(containers)} containers")
            self.podman("stop", "--time", "30", *containers, timeout=180)
            self.podman("rm", "--force", *containers, timeout=180)
        networks = self.podman(
            "network",
            "ls",
            "--format",
            "{{.Name}}",
            "--filter",
            f"label=io.podman.compose.project={self.project.name}",
        ).stdout.split()
        for network in networks:
            self.podman("network", "rm", "--force", network)
        if volumes:
            for volume in self.podman(
                "volume",
                "ls",
                "--quiet",
                "--filter",
                f"label=io.podman.compose.project={self.project.name}",
            ).stdout.split():
                self.podman("volume", "rm", "--force", volume)
        left = self.containers()
        if left:
            raise ComposeError(f"containers still present: {' '.join(left)}")

    def logs(self, service: str | None, follow: bool, tail: int) -> int:
        containers = self.containers(service)
        if not containers:
            say("no containers")
            return 0
        args = ["podman", "logs", "--tail", str(tail)]
        if len(containers) > 1:
            args.append("--names")
        return subprocess.call(args + (["--follow"] if follow else []) + containers, env=self.env())

    def exec(self, service: str, command: list[str]) -> int:
        containers = self.containers(service)
        if not containers:
            raise ComposeError(f"{service} is not running")
        return subprocess.call(["podman", "exec", containers[0], *command], env=self.env())

    def wait(self, service: str, timeout: float) -> int:
        # Polled: an attached `podman wait` takes about 20 s to return here.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            containers = self.containers(service)
            states = [self.state(c) for c in containers]
            if states and all(status in ("exited", "stopped") for status, _ in states):
                return max(code for _, code in states)
            time.sleep(2)
        raise ComposeError(f"{service} still running after {timeout:.0f} s")


def check(
    command: list[str], what: str, env: dict[str, str] | None = None, quiet: bool = True
) -> None:
    if quiet:
        result = run(command, env=env)
        if result.returncode != 0:
            raise ComposeError(
                f"{what} failed ({result.returncode}): {shlex.join(command)}\n"
                + (result.stdout + result.stderr)[-4000:]
            )
    elif subprocess.call(command, env=env) != 0:
        raise ComposeError(f"{what} failed: {shlex.join(command)}")


def docker_answers() -> tuple[bool, str]:
    if not shutil.which("docker"):
        return False, "no docker command"
    try:
        server = run(["docker", "version", "--format", "{{.Server.Version}}"], timeout=20)
    except subprocess.TimeoutExpired:
        return False, "the Docker engine did not answer in 20 s"
    if server.returncode != 0 or not server.stdout.strip():
        last = (server.stderr.strip().splitlines() or ["no answer"])[-1]
        return False, f"no Docker engine answers ({last})"
    if run(["docker", "compose", "version"], timeout=20).returncode != 0:
        return (
            False,
            f"Docker engine {server.stdout.strip()} answers, but the compose plugin is missing",
        )
    return True, f"Docker engine {server.stdout.strip()} answers"


def podman_compose_tool() -> list[str] | None:
    if os.environ.get("PODMAN_COMPOSE"):
        return shlex.split(os.environ["PODMAN_COMPOSE"])
    beside = Path(sys.executable).parent / "podman-compose"
    if beside.exists():
        return [str(beside)]
    if shutil.which("podman-compose"):
        return ["podman-compose"]
    if run(["podman", "compose", "version"], timeout=30).returncode == 0:
        return ["podman", "compose"]
    return None


def choose_engine(project: Project) -> Engine:
    forced = os.environ.get("COMPOSE_ENGINE", "")
    if forced not in ("", "docker", "podman"):
        raise ComposeError(f"COMPOSE_ENGINE={forced}: docker or podman")
    reason = "COMPOSE_ENGINE=" + forced
    if forced != "podman":
        answers, reason = docker_answers()
        if answers or forced == "docker":
            return Docker(project, reason)
    if not shutil.which("podman") or not shutil.which("mmdebstrap"):
        say("installing podman and mmdebstrap (Debian packages)")
        check(["bash", str(PODMAN_INSTALL)], "containers/podman/install.sh", quiet=False)
    tool = podman_compose_tool()
    if tool is None:
        raise ComposeError(
            "podman-compose is missing: `make install` puts it in .venv (uv group compose)"
        )
    return Podman(project, reason, tool)


def describe(engine: Engine) -> str:
    if isinstance(engine, Podman):
        version = run(["podman", "--version"]).stdout.strip()
        tool = " ".join(Path(engine.tool[0]).name.split() + engine.tool[1:])
        return f"{engine.reason}: using {version} with {tool}"
    return f"{engine.reason}: using Docker Compose"


# The UID:GID the loadtest image's Locust runs as (services/api/Dockerfile, stage loadtest).
LOCUST_UID = 10002


def prepare_mounts(services: list[Service]) -> None:
    """Give the Locust containers their bind-mounted folder, loadtests/reports/compose/: the
    dataset (with the load-test accounts' password) to read, the master's reports to write. The
    checkout belongs to whoever cloned it, the containers run as LOCUST_UID: as root the folder
    and its files are handed to that UID; otherwise the folder is opened to every UID and the
    dataset made readable (a local stack's throwaway accounts)."""
    if not any(s.name.startswith("locust-") for s in services):
        return
    reports = ROOT / "loadtests" / "reports" / "compose"
    reports.mkdir(parents=True, exist_ok=True)
    dataset = reports / "dataset.json"
    if not dataset.exists():
        say(f"no {dataset.relative_to(ROOT)}: seed it first (loadtests/seed.py --out)")
    for path in [reports, *reports.iterdir()]:
        if os.geteuid() == 0:
            os.chown(path, LOCUST_UID, LOCUST_UID)
        else:
            path.chmod(0o777 if path.is_dir() else 0o644)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", action="append", default=[], dest="profiles")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("engine")
    up = commands.add_parser("up")
    up.add_argument("--no-wait", action="store_true", help="return once started, not once healthy")
    up.add_argument("services", nargs="*")
    down = commands.add_parser("down")
    down.add_argument("--volumes", action="store_true")
    logs = commands.add_parser("logs")
    logs.add_argument("--follow", action="store_true")
    logs.add_argument("--tail", type=int, default=100)
    logs.add_argument("service", nargs="?")
    exec_ = commands.add_parser("exec")
    exec_.add_argument("service")
    exec_.add_argument("argv", nargs=argparse.REMAINDER)
    wait = commands.add_parser("wait")
    wait.add_argument("service")
    wait.add_argument("--timeout", type=float, default=900)
    env = commands.add_parser("write-env")
    env.add_argument("path", type=Path)
    env.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    profiles = [p for value in args.profiles for p in value.split() if p]

    if args.command == "write-env":
        if not args.path.exists():
            write_env(args.path, dict(o.split("=", 1) for o in args.overrides))
            say(f"wrote {args.path} with fresh random secrets (edit it, never commit it)")
        return 0

    project = Project.load(profiles)
    engine = choose_engine(project)
    if args.command == "engine":
        say(describe(engine))
        return 0
    try:
        if args.command == "up":
            say(describe(engine))
            active = {s.name: s for s in project.active()}
            unknown = [name for name in args.services if name not in active]
            if unknown:
                raise ComposeError(f"not a service of the active profiles: {' '.join(unknown)}")
            chosen = [active[n] for n in args.services] if args.services else list(active.values())
            prepare_mounts(chosen)
            engine.up(chosen, wait=not args.no_wait)
        elif args.command == "down":
            engine.down(args.volumes)
            say(f"project {project.name}: no container left")
        elif args.command == "logs":
            return engine.logs(args.service, args.follow, args.tail)
        elif args.command == "exec":
            return engine.exec(args.service, args.argv)
        elif args.command == "wait":
            return engine.wait(args.service, args.timeout)
    except (ComposeError, subprocess.TimeoutExpired) as error:
        say(f"ERROR: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
