"""The application image: multi-stage, locked dependencies, non-root, no build tools, healthy."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from infra_helpers import API_DIR, ROOT, repo_path

DOCKERFILE = API_DIR / "Dockerfile"


def stages() -> dict[str, str]:
    """Each stage's name and its instructions (continuation lines joined)."""
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#")).replace(
        "\\\n", " "
    )
    parts = re.split(r"^FROM\s+", text, flags=re.MULTILINE)[1:]
    result = {}
    for part in parts:
        header, _, body = part.partition("\n")
        name = re.search(r"\bAS\s+(\S+)", header, re.IGNORECASE)
        assert name, f"unnamed stage: FROM {header}"
        result[name.group(1)] = header + "\n" + body
    return result


def instructions(stage: str, keyword: str) -> list[str]:
    return re.findall(rf"^{keyword}\s+(.*)$", stage, re.MULTILINE)


def test_multi_stage_with_the_runtime_last():
    # runtime last: a plain `docker build` (no --target) builds the application image.
    names = list(stages())
    assert names == ["builder", "loadtest-venv", "loadtest", "runtime"]


def global_args() -> dict[str, str]:
    """The ARGs declared before the first FROM, with their defaults (the base image's name)."""
    preamble = DOCKERFILE.read_text(encoding="utf-8").split("\nFROM ", 1)[0]
    return dict(re.findall(r"^ARG\s+(\w+)=(\S+)$", preamble, re.MULTILINE))


def test_the_base_image_is_a_build_argument_defaulting_to_the_public_image():
    # The same file builds from the public image and, where no registry answers, from a local
    # base (`make bases`): every stage that is not built FROM another names the argument.
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", global_args()["PYTHON_IMAGE"])
    for name, stage in stages().items():
        image = stage.split()[0]
        assert image in stages() or image == "${PYTHON_IMAGE}", f"{name}: {image}"


def test_every_stage_uses_the_pinned_slim_bookworm_python():
    earlier: list[str] = []
    for name, stage in stages().items():
        image = stage.split()[0].replace("${PYTHON_IMAGE}", global_args()["PYTHON_IMAGE"])
        assert image in earlier or re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", image), (
            f"{name}: {image}"
        )
        earlier.append(name)
    bases = {stage.split()[0] for stage in stages().values() if stage.split()[0] not in earlier}
    assert len(bases) == 1, f"every stage must share one base image: {bases}"


def test_loadtest_image_runs_locust_unprivileged():
    loadtest = stages()["loadtest"]
    assert instructions(loadtest, "ENTRYPOINT") == ['["locust"]']
    uid = instructions(loadtest, "USER")[-1].split(":")[0]
    assert int(uid) >= 10000
    assert all(c.startswith("--from=") for c in instructions(loadtest, "COPY"))


def test_dependencies_come_from_the_lock_file_only():
    builder = stages()["builder"]
    # Only the application's dependencies: the lock's default groups are every tool group.
    assert "uv sync --frozen --no-default-groups --no-install-project" in builder
    assert "--group loadtest" in stages()["loadtest-venv"]
    assert re.search(r"pip install --no-cache-dir uv==\d+\.\d+\.\d+", builder), "uv must be pinned"
    assert "COPY pyproject.toml uv.lock ./" in builder


def test_runtime_installs_nothing_and_holds_no_build_tools():
    runtime = stages()["runtime"]
    for forbidden in (
        "apt-get install",
        "pip install",
        "uv sync",
        "gcc",
        "build-essential",
        "curl",
        "wget",
    ):
        assert forbidden not in runtime, forbidden
    assert "pip uninstall" in runtime, "the installers are removed from the runtime image"
    copies = instructions(runtime, "COPY")
    assert all(c.startswith("--from=builder ") for c in copies), copies


def test_runtime_runs_as_an_unprivileged_numeric_user():
    users = instructions(stages()["runtime"], "USER")
    assert users, "no USER in the runtime stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, users[-1]


def test_healthcheck_uses_python_against_healthz():
    healthcheck = instructions(stages()["runtime"], "HEALTHCHECK")
    assert len(healthcheck) == 1
    assert (
        '"python"' in healthcheck[0]
        and "urllib.request" in healthcheck[0]
        and "/healthz" in healthcheck[0]
    )


def test_static_files_are_collected_in_the_builder_with_a_throwaway_key():
    builder, runtime = stages()["builder"], stages()["runtime"]
    assert "collectstatic" in builder and "collectstatic" not in runtime
    assert "secrets.token_urlsafe" in builder, "the build key is generated, not written down"
    for stage in (builder, runtime):
        for line in instructions(stage, "ENV") + instructions(stage, "ARG"):
            assert "SECRET" not in line, f"a secret in image metadata: {line}"
    assert "COPY --from=builder /app/staticfiles /app/staticfiles" in runtime


def test_runtime_environment_matches_the_layout():
    runtime = stages()["runtime"]
    assert "PYTHONPATH=/app/services/api:/app/services/realtime" in runtime
    assert instructions(runtime, "WORKDIR")[-1] == "/app/services/api"
    assert (API_DIR / "gunicorn.conf.py").is_file(), "CMD runs gunicorn.conf.py from the WORKDIR"
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in runtime
    assert (API_DIR / "config" / "settings" / "production.py").is_file()


def test_dockerignore_is_an_allow_list_that_keeps_secrets_out():
    lines = [
        line.strip()
        for line in repo_path(".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "everything is excluded first"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "uv.lock", "services/api/", "services/realtime/"}
    for excluded in ("**/.env", "**/__pycache__/", "services/api/tests/"):
        assert excluded in lines, excluded
    # Everything the Dockerfile copies from the context is allowed in.
    copied = set()
    for stage in stages().values():
        for copy in instructions(stage, "COPY"):
            if not copy.startswith("--from="):
                copied.update(copy.split()[:-1])
    for source in copied:
        assert any(source == a.rstrip("/") or source.startswith(a) for a in allowed), source
        assert (ROOT / source).exists(), source


def hadolint() -> str:
    found = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not Path(found).is_file():
        pytest.fail("hadolint not found: run `make infra-tools`")
    return found


def test_hadolint_accepts_the_dockerfile():
    result = subprocess.run(
        [hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout


def test_hadolint_rejects_a_broken_copy(tmp_path):
    broken = DOCKERFILE.read_text(encoding="utf-8").replace(
        "FROM ${PYTHON_IMAGE} AS runtime",
        "FROM python:latest AS runtime\nRUN apt-get update && apt-get install -y curl",
    )
    path = tmp_path / "Dockerfile"
    path.write_text(broken, encoding="utf-8")
    result = subprocess.run(
        [hadolint(), str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3009"):
        assert rule in result.stdout, rule
