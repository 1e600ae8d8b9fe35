"""compose.yaml: valid against the Compose Specification, and every name in it points somewhere.

Services, ports, volumes, files and environment variables are checked against what they name:
the Dockerfile, nginx's site template, Prometheus' targets, the files mounted and the variables
the Django settings read.
"""

from __future__ import annotations

import copy
import re
import shlex
import tomllib
from typing import Any

import jsonschema
import pytest
import yaml
from infra_helpers import (
    API_DIR,
    ENV_CONSUMED_ELSEWHERE,
    ROOT,
    env_example,
    env_vars_read_by_app,
    load_yaml,
    repo_path,
)

APP_SERVICES = ("api", "realtime", "relay", "flusher", "migrate", "collectstatic")
ONE_SHOT = ("migrate", "collectstatic")
# Paths compose.yaml mounts that `make up` generates rather than the repository holding them.
GENERATED_MOUNTS = {"./nginx/certs", "./loadtests/reports/compose"}


def schema_errors(document: Any, schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def interpolated_names(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


# --- the schema, and proof that it catches broken files ---------------------------------------


def test_compose_is_valid_against_the_compose_specification(compose, compose_schema):
    assert schema_errors(compose, compose_schema) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda c: c["services"]["api"].update(restrat="always"), "restrat"),
        (
            lambda c: c["services"]["api"].update(
                healthcheck={"test": ["CMD", "true"], "intervall": "5s"}
            ),
            "intervall",
        ),
        (lambda c: c["services"]["nginx"].update(ports=[{"targt": 8080}]), "targt"),
        (
            lambda c: c["services"]["api"]["depends_on"]["migrate"].update(
                condition="service_done"
            ),
            "condition",
        ),
        (lambda c: c.update(volume={"x": {}}), "volume"),
        (
            lambda c: c["services"]["redis"].update(
                deploy={"resources": {"limits": {"memory": ["1g"]}}}
            ),
            "memory",
        ),
    ],
    ids=[
        "misspelt-service-key",
        "misspelt-key",
        "bad-port",
        "bad-condition",
        "unknown-top-level",
        "bad-limit",
    ],
)
def test_a_broken_copy_of_compose_fails_validation(compose, compose_schema, breakage, expected):
    broken = copy.deepcopy(compose)
    breakage(broken)
    errors = schema_errors(broken, compose_schema)
    assert errors, "the schema accepted a broken compose file"
    assert any(expected in error for error in errors), errors


def test_a_yaml_syntax_error_is_caught(tmp_path):
    broken = (
        repo_path("compose.yaml")
        .read_text(encoding="utf-8")
        .replace("services:", "services:\n  - [", 1)
    )
    path = tmp_path / "compose.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        load_yaml(path)


# --- services, images and commands --------------------------------------------------------------


def test_the_platform_services_exist(compose):
    expected = {
        "api", "realtime", "relay", "flusher", "migrate", "postgres", "redis", "nginx",
        "prometheus", "alertmanager", "grafana", "locust-master", "locust-worker",
        "postgres-exporter", "redis-exporter", "nginx-exporter", "node-exporter",
    }  # fmt: skip
    assert expected <= set(services(compose))


def test_profiles_gate_monitoring_and_load_tests(compose):
    for name, service in services(compose).items():
        profiles = service.get("profiles", [])
        if name in {"prometheus", "alertmanager", "grafana"} or name.endswith("-exporter"):
            assert profiles == ["monitoring"], name
        elif name.startswith("locust-"):
            assert profiles == ["loadtest"], name
        else:
            assert profiles == [], f"{name} belongs to the core stack"


def test_application_services_build_the_one_image(compose):
    dockerfile = API_DIR / "Dockerfile"
    stages = re.findall(
        r"^FROM\s+\S+\s+AS\s+(\S+)",
        dockerfile.read_text(encoding="utf-8"),
        re.MULTILINE | re.IGNORECASE,
    )
    images = set()
    for name in APP_SERVICES:
        service = services(compose)[name]
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).resolve() == dockerfile.resolve(), (
            name
        )
        assert build["target"] in stages, (
            f"{name}: target {build['target']} is not a stage of {dockerfile}"
        )
        images.add(service["image"])
    assert len(images) == 1, f"the application services must share one image, got {images}"


def test_load_test_services_build_locust_from_the_lock_file(compose):
    dockerfile = (API_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM \S+ AS loadtest$", dockerfile, re.MULTILINE)
    assert "uv sync --frozen --no-default-groups --group loadtest" in dockerfile
    assert "loadtest" in parse_groups(), "pyproject.toml has no loadtest dependency group"
    for name in ("locust-master", "locust-worker"):
        build = services(compose)[name]["build"]
        assert build["dockerfile"] == "services/api/Dockerfile" and build["target"] == "loadtest"


def parse_groups() -> dict[str, list[str]]:
    return tomllib.loads(repo_path("pyproject.toml").read_text(encoding="utf-8"))[
        "dependency-groups"
    ]


def test_every_image_is_pinned(compose):
    for name, service in services(compose).items():
        image = service["image"]
        if "build" in service:
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and re.search(r"\d", tag), (
            f"{name}: {image} is not pinned"
        )


def test_application_commands_point_at_existing_code(compose):
    commands = {name: services(compose)[name]["command"] for name in APP_SERVICES}
    assert commands["api"] == ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application"]
    # A Twisted endpoint string: it sets the listen backlog (Daphne's default of 50 overflows
    # when many WebSocket clients reconnect at once).
    assert commands["realtime"] == [
        "daphne",
        "-e",
        "tcp:port=8001:interface=0.0.0.0:backlog=1024",
        "config.asgi:application",
    ]
    # The image's WORKDIR is services/api: relative paths and modules resolve there.
    assert (API_DIR / "gunicorn.conf.py").is_file()
    assert (API_DIR / "config" / "wsgi.py").is_file()
    assert (API_DIR / "config" / "asgi.py").is_file(), "realtime runs config.asgi:application"
    assert (API_DIR / "manage.py").is_file()
    builtin = {"migrate", "collectstatic"}
    for name in ("relay", "flusher", "migrate", "collectstatic"):
        command = commands[name]
        assert command[:2] == ["python", "manage.py"], name
        management_command = command[2]
        if management_command in builtin:
            continue
        found = list((ROOT / "services").glob(f"*/*/management/commands/{management_command}.py"))
        assert found, f"{name}: no management command {management_command!r} under services/"
        source = found[0].read_text(encoding="utf-8")
        if "add_worker_metrics_arguments(parser)" in source:  # the shared --metrics-* options
            source += (API_DIR / "core" / "metrics.py").read_text(encoding="utf-8")
        for option in (arg for arg in command[3:] if arg.startswith("--")):
            assert f'"{option}"' in source, f"{name}: {management_command} has no option {option}"


def test_dockerfile_default_command_is_the_api_command(compose):
    text = (API_DIR / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.findall(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)[-1]
    normalised = [arg if arg != "--config" else "-c" for arg in yaml.safe_load(cmd)]
    assert normalised == services(compose)["api"]["command"]


# --- health, ordering, limits, hardening ---------------------------------------------------------


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, service in services(compose).items():
        healthcheck = service.get("healthcheck", {})
        if name in ONE_SHOT:
            assert service.get("restart") == "no", f"{name} is a one-shot job"
            continue
        assert healthcheck.get("test") and not healthcheck.get("disable"), (
            f"{name} has no healthcheck"
        )


def test_depends_on_waits_for_health_or_completion(compose):
    all_services = services(compose)
    for name, service in all_services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in all_services, f"{name} depends on unknown service {dependency}"
            target = all_services[dependency]
            if dependency in ONE_SHOT:
                assert spec["condition"] == "service_completed_successfully", (
                    f"{name} -> {dependency}"
                )
            else:
                assert spec["condition"] == "service_healthy", f"{name} -> {dependency}"
                assert target.get("healthcheck", {}).get("test"), f"{dependency} has no healthcheck"
            # A core service must never wait for an optional profile's service.
            if not service.get("profiles"):
                assert not target.get("profiles"), (
                    f"{name} (core) depends on {dependency} (profile)"
                )


def test_application_processes_wait_for_migrations(compose):
    for name in ("api", "realtime", "relay", "flusher"):
        depends = services(compose)[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_every_service_has_resource_limits(compose):
    for name, service in services(compose).items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("memory") and limits.get("cpus"), f"{name} has no cpu/memory limit"


def test_application_containers_are_hardened(compose):
    for name in (*APP_SERVICES, "nginx"):
        service = services(compose)[name]
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name


# --- volumes and files --------------------------------------------------------------------------


def test_named_volumes_are_declared_and_used(compose):
    declared = set(compose.get("volumes", {}))
    used = set()
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                continue
            assert source in declared, f"{name} mounts undeclared volume {source}"
            used.add(source)
    assert declared == used, f"declared but unused volumes: {declared - used}"


def test_bind_mounts_point_at_repository_files(compose):
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith("./") or source in GENERATED_MOUNTS:
                continue
            assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_generated_mounts_are_ignored_by_git():
    ignored = repo_path(".gitignore").read_text(encoding="utf-8").splitlines()
    assert "nginx/certs/" in ignored
    assert "loadtests/reports/" in ignored
    assert ".env" in ignored


def test_locust_runs_a_locustfile_from_loadtests(compose):
    for name in ("locust-master", "locust-worker"):
        locustfile = environment(services(compose)[name])["LOCUST_LOCUSTFILE"]
        assert locustfile.startswith("/mnt/loadtests/"), name
        assert (ROOT / "loadtests" / locustfile.removeprefix("/mnt/loadtests/")).is_file(), (
            locustfile
        )


def test_grafana_mounts_provisioning_and_dashboards(compose):
    volumes = services(compose)["grafana"]["volumes"]
    assert "./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
    dashboards = repo_path("monitoring/grafana/dashboards")
    assert any(dashboards.glob("*.json")), "no dashboards to provision"
    # Every dashboard provider reads a container folder that is a mounted repository folder
    # holding dashboards.
    binds = {v.split(":")[1]: v.split(":")[0] for v in volumes if v.startswith("./")}
    providers = [
        provider
        for provider_file in repo_path("monitoring/grafana/provisioning/dashboards").glob("*.y*ml")
        for provider in load_yaml(provider_file).get("providers", [])
    ]
    assert providers, "no dashboard provider"
    for provider in providers:
        path = provider["options"]["path"]
        mount = max(
            (m for m in binds if path == m or path.startswith(m + "/")), key=len, default=None
        )
        assert mount, f"dashboard provider path {path} is not mounted"
        host = ROOT / binds[mount] / path.removeprefix(mount).lstrip("/")
        assert any(host.glob("*.json")), f"{path} holds no dashboards ({host})"


# --- ports: nginx upstreams and Prometheus targets ------------------------------------------------


def nginx_template() -> str:
    return repo_path("nginx/templates/taskboard.conf.template").read_text(encoding="utf-8")


def listening_ports(name: str, service: dict[str, Any]) -> set[int]:
    ports = {int(p) for p in service.get("expose", [])}
    for mapping in service.get("ports", []):
        ports.add(int(str(mapping).rsplit(":", 1)[-1]))
    return ports


def test_nginx_receives_exactly_the_variables_its_template_uses(compose):
    used = set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", nginx_template()))
    given = {
        key for key in environment(services(compose)["nginx"]) if key != "NGINX_ENVSUBST_FILTER"
    }
    assert used == given


def test_nginx_upstreams_are_the_application_services(compose):
    env = environment(services(compose)["nginx"])
    template = nginx_template()
    for upstream, variable, service_name, port in (
        ("api", "NGINX_API_UPSTREAM", "api", 8000),
        ("realtime", "NGINX_REALTIME_UPSTREAM", "realtime", 8001),
    ):
        block = re.search(
            rf"^upstream {upstream} \{{(?P<body>.*?)^\}}", template, re.MULTILINE | re.DOTALL
        )
        assert block and re.search(
            rf"^\s*server \$\{{{variable}\}};", block["body"], re.MULTILINE
        ), upstream
        host, _, value = env[variable].partition(":")
        assert (host, int(value)) == (service_name, port)
        assert port in listening_ports(service_name, services(compose)[service_name])
    assert "0.0.0.0:8000" in environment(services(compose)["api"])["GUNICORN_BIND"]
    assert "tcp:port=8001:interface=0.0.0.0" in services(compose)["realtime"]["command"][2]


def test_nginx_listens_where_compose_publishes(compose):
    nginx = services(compose)["nginx"]
    env = environment(nginx)
    published = {int(str(p).rsplit(":", 1)[-1]) for p in nginx["ports"]}
    assert published == {int(env["NGINX_HTTP_LISTEN"]), int(env["NGINX_HTTPS_LISTEN"])}
    assert int(env["NGINX_STATUS_LISTEN"]) in {int(p) for p in nginx["expose"]}
    # The status port is internal only, and the exporter and the healthcheck use it.
    exporter = services(compose)["nginx-exporter"]["command"]
    assert f"--nginx.scrape-uri=http://nginx:{env['NGINX_STATUS_LISTEN']}/stub_status" in exporter
    assert "location = /stub_status" in nginx_template()
    assert f"http://127.0.0.1:{env['NGINX_STATUS_LISTEN']}/healthz" in nginx["healthcheck"]["test"]


def test_nginx_mounts_land_where_the_configuration_expects(compose):
    nginx = services(compose)["nginx"]
    env = environment(nginx)
    targets = {volume.split(":")[1] for volume in nginx["volumes"]}
    assert "/etc/nginx/nginx.conf" in targets and "/etc/nginx/templates" in targets
    assert "/etc/nginx/snippets" in targets
    assert env["NGINX_TLS_CERT"].rsplit("/", 1)[0] in targets
    assert env["NGINX_STATIC_ROOT"] in targets
    tmpfs = {entry.split(":")[0] for entry in nginx["tmpfs"]}
    assert {"/etc/nginx/conf.d", env["NGINX_TEMP_DIR"]} <= tmpfs
    # collectstatic fills the volume nginx serves from.
    collect = services(compose)["collectstatic"]
    assert environment(collect)["STATIC_ROOT"] == env["NGINX_STATIC_ROOT"]
    assert f"static:{env['NGINX_STATIC_ROOT']}" in collect["volumes"]


def test_every_prometheus_target_is_a_compose_service_port(compose):
    all_services = services(compose)
    targets_dir = repo_path("monitoring/prometheus/targets")
    files = sorted(targets_dir.glob("*.yml"))
    assert files, "no Prometheus target files"
    for path in files:
        for group in load_yaml(path):
            for target in group["targets"]:
                host, _, port = target.partition(":")
                assert host in all_services, f"{path.name}: {host} is no compose service"
                assert int(port) in listening_ports(host, all_services[host]), (
                    f"{path.name}: {target}"
                )


def test_prometheus_and_alertmanager_read_the_mounted_files(compose):
    prometheus = services(compose)["prometheus"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "./monitoring/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    alertmanager = services(compose)["alertmanager"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in alertmanager["command"]
    assert repo_path("monitoring/alertmanager/alertmanager.yml").is_file()


# --- environment variables -----------------------------------------------------------------------


def test_application_environment_is_read_by_the_application(compose):
    read = env_vars_read_by_app()
    names = set(env_example()["app"])
    for name in APP_SERVICES:
        names |= set(environment(services(compose)[name]))
    unknown = sorted(n for n in names if n not in read and n not in ENV_CONSUMED_ELSEWHERE)
    assert unknown == [], f"set for the application but read by nothing: {unknown}"


def test_variables_consumed_elsewhere_are_consumed_there():
    dockerfile = (API_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert "HEALTHCHECK_PORT" in dockerfile


def test_env_example_compose_section_is_used_by_compose():
    compose_text = repo_path("compose.yaml").read_text(encoding="utf-8")
    used = interpolated_names(compose_text)
    unused = sorted(set(env_example()["compose"]) - used)
    assert unused == [], f".env.example [compose] variables compose.yaml never uses: {unused}"


def test_every_interpolated_variable_is_documented_or_defaulted():
    compose_text = repo_path("compose.yaml").read_text(encoding="utf-8")
    documented = set(env_example()["app"]) | set(env_example()["compose"])
    for match in re.finditer(r"\$\{([A-Z][A-Z0-9_]*)(:?[-?][^}]*)?\}", compose_text):
        name, modifier = match.group(1), match.group(2) or ""
        assert name in documented or modifier.startswith((":-", "-")), (
            f"${{{name}}} is neither in .env.example nor defaulted"
        )


def test_required_secrets_are_empty_in_the_example():
    sections = env_example()
    secrets = {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
    merged = {**sections["app"], **sections["compose"]}
    assert secrets <= set(merged)
    assert all(merged[name] == "" for name in secrets), "a secret has a committed value"


def test_the_app_reads_the_variables_the_interfaces_promise():
    promised = {
        "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS",
        "CORS_ALLOWED_ORIGINS", "DATABASE_URL", "DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE", "REDIS_URL",
        "CACHE_DEFAULT_TIMEOUT", "NUM_PROXIES", "LOG_LEVEL", "LOG_FORMAT", "SERVICE_NAME",
        "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_BIND",
        "STATIC_ROOT",
    }  # fmt: skip
    assert sorted(promised - env_vars_read_by_app()) == []


def test_healthchecks_probe_the_port_each_process_listens_on(compose):
    for name, port in (("api", 8000), ("realtime", 8001), ("relay", 9201), ("flusher", 9202)):
        test = " ".join(services(compose)[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/" in test, name
        assert port in listening_ports(name, services(compose)[name]), name


def test_redis_password_never_appears_in_a_command_line(compose):
    for name, service in services(compose).items():
        command = service.get("command") or []
        text = command if isinstance(command, str) else shlex.join(command)
        assert "${REDIS_PASSWORD" not in text, f"{name} interpolates the password into its command"
