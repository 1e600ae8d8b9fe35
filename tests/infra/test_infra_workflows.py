"""The GitHub Actions pipeline offered to users: what it runs, on what, and how it deploys."""

from __future__ import annotations

import re

from infra_helpers import load_yaml, repo_path

WORKFLOW = repo_path(".github/workflows/ci.yml")
RELEASE = repo_path(".github/workflows/release.yml")


def workflow():
    return load_yaml(WORKFLOW)


def release():
    return load_yaml(RELEASE)


def triggers(document):
    # PyYAML reads the bare key `on` as the boolean true (YAML 1.1).
    return document.get("on", document.get(True))


def steps_text(job) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_lint_test_and_build_jobs():
    jobs = workflow()["jobs"]
    assert set(jobs) == {"lint", "test", "image"}
    assert "make lint" in steps_text(jobs["lint"])
    assert "make test" in steps_text(jobs["test"])
    assert "make checks" in steps_text(jobs["test"])
    assert set(jobs["image"]["needs"]) == {"lint", "test"}
    assert set(triggers(workflow())) == {"push", "pull_request", "workflow_call"}


def test_a_release_runs_the_whole_ci_before_deploying():
    jobs = release()["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["deploy"]["needs"] == ["ci"]
    assert triggers(release()) == {"push": {"tags": ["v*"]}}


def test_tests_run_against_real_postgres_and_redis():
    test = workflow()["jobs"]["test"]
    services = test["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert test["env"]["REQUIRE_REAL_SERVICES"] == "1"
    assert test["env"]["TEST_DATABASE_URL"].startswith("postgres://")
    assert test["env"]["TEST_REDIS_URL"].startswith("redis://")


def test_the_image_is_built_scanned_and_smoke_tested():
    text = steps_text(workflow()["jobs"]["image"])
    assert "docker/build-push-action" in text
    assert "trivy" in text and "--exit-code 1" in text
    assert "id -u" in text and "healthy" in text


def test_deploy_runs_in_a_protected_environment_without_caches():
    deploy = release()["jobs"]["deploy"]
    assert deploy["environment"] == "production"
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    text = steps_text(deploy)
    assert "k8s/scripts/deploy.sh prod" in text
    assert repo_path("k8s/scripts/deploy.sh").is_file()
    assert "cache-from" not in RELEASE.read_text(encoding="utf-8")
    build = next(step for step in deploy["steps"] if "build-push-action" in str(step.get("uses")))
    assert build["with"]["no-cache"] is True and build["with"]["push"] is True


def test_permissions_default_to_read_only():
    assert workflow()["permissions"] == {"contents": "read"}


def test_actions_are_pinned_to_commits():
    for match in re.finditer(r"uses:\s*(\S+)", WORKFLOW.read_text(encoding="utf-8")):
        action = match.group(1)
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), (
            f"{action} is not pinned to a commit"
        )


def test_checkouts_do_not_persist_credentials():
    for name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
