"""The readiness report: each test breaks one piece of evidence and reads the row it changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, Project, faults_result, junit, load_result
from readiness import catalogue, record
from readiness.__main__ import main
from readiness.checks import FAIL, MISSING, PASS, STALE
from readiness.compare import regressions

PASSING = [
    ("tests.test_auth", "test_login", "passed"),
    ("tests.test_auth.TestRefresh", "test_rotates[json]", "passed"),
    ("tests.test_tasks", "test_create", "passed"),
]


def given_a_green_test_run(project: Project) -> None:
    project.latest_run(
        "test",
        junit_xml=junit(PASSING),
        coverage_json=json.dumps({"totals": {"percent_covered": 91.25}}),
    )


# --- tests and coverage ---------------------------------------------------------------------------


def test_passing_tests_of_the_current_code_pass(project: Project) -> None:
    given_a_green_test_run(project)

    rows = project.assess()

    assert rows["auth"].status == PASS
    assert rows["auth"].evidence[0].finding.text == "2 passed: `tests/test_auth.py`"
    assert rows["tasks"].status == PASS
    assert rows["coverage"].status == PASS
    assert rows["coverage"].evidence[0].finding.figures[0]["measured"] == 91.25


def test_a_failing_test_id_fails_its_concern_and_no_other(project: Project) -> None:
    cases = [*PASSING[:2], ("tests.test_tasks", "test_create", "failed")]
    project.latest_run("test", junit_xml=junit(cases))

    rows = project.assess()

    assert rows["tasks"].status == FAIL
    assert rows["tasks"].evidence[0].finding.failing == ["tests/test_tasks.py::test_create"]
    assert "`tests/test_tasks.py::test_create`" in rows["tasks"].evidence[0].finding.text
    assert rows["auth"].status == PASS


def test_a_class_and_parameters_stay_in_the_failing_test_id(project: Project) -> None:
    cases = [PASSING[0], ("tests.test_auth.TestRefresh", "test_rotates[json]", "failed")]
    project.latest_run("test", junit_xml=junit(cases))

    finding = project.assess()["auth"].evidence[0].finding

    assert finding.failing == ["tests/test_auth.py::TestRefresh::test_rotates[json]"]


def test_a_skipped_test_is_never_shown_as_passing(project: Project) -> None:
    cases = [("tests.test_auth", "test_login", "skipped"), *PASSING[1:]]
    project.latest_run("test", junit_xml=junit(cases))

    row = project.assess()["auth"]

    assert row.status == MISSING
    assert row.evidence[0].finding.text == (
        "1 passed, 1 skipped (chromium is missing): `tests/test_auth.py`"
    )


def test_a_concern_whose_tests_did_not_run_is_not_measured(project: Project) -> None:
    project.latest_run("test", junit_xml=junit(PASSING[:2]))  # no test of test_tasks.py

    assert project.assess()["tasks"].status == MISSING


def test_coverage_under_the_floor_fails(project: Project) -> None:
    coverage = json.dumps({"totals": {"percent_covered": 79.9}})
    project.latest_run("test", junit_xml=junit(PASSING), coverage_json=coverage)

    row = project.assess()["coverage"]

    assert row.status == FAIL
    assert row.evidence[0].finding.text == "coverage 79.9 % (floor 80 %)"


# --- missing and stale evidence -------------------------------------------------------------------


def test_a_missing_input_is_not_measured_and_names_the_command_that_makes_it(
    project: Project,
) -> None:
    rows = project.assess()

    assert rows["auth"].status == MISSING
    assert rows["auth"].evidence[0].finding.text == (
        f"no {project.evidence / 'test' / 'meta.json'}: run `make test`"
    )
    assert rows["throughput"].evidence[0].finding.text.endswith("run `make loadtest`")


def test_a_missing_junit_file_is_not_measured(project: Project) -> None:
    project.latest_run("test")  # the run was recorded, pytest wrote nothing

    assert project.assess()["auth"].status == MISSING


def test_evidence_older_than_the_code_it_covers_is_stale(project: Project) -> None:
    given_a_green_test_run(project)
    project.write("app/auth.py", "LOGIN = 2\n")
    project.commit("change the login")

    rows = project.assess()

    assert rows["auth"].status == STALE
    assert rows["auth"].evidence[0].stale_because == "measured before changes to app/auth.py"
    assert rows["tasks"].status == PASS  # its code did not change


def test_uncommitted_changes_make_the_evidence_stale_too(project: Project) -> None:
    given_a_green_test_run(project)
    project.write("tests/test_auth.py", "def test_login(): assert False\n")  # not committed

    assert project.assess()["auth"].status == STALE


def test_evidence_of_uncommitted_code_is_current_once_that_code_is_committed(
    project: Project,
) -> None:
    project.write("app/auth.py", "LOGIN = 3\n")
    given_a_green_test_run(project)  # measured the change before it was committed
    project.commit("the change the run measured")

    assert project.assess()["auth"].status == PASS


def test_evidence_of_code_the_repository_does_not_hold_is_stale(project: Project) -> None:
    project.latest_run("test", junit_xml=junit(PASSING))
    meta_path = project.evidence / "test" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps(meta | {"commit": "0" * 40, "tree": "1" * 40}))

    row = project.assess()["auth"]

    assert row.status == STALE
    assert "which this repository does not hold" in str(row.evidence[0].stale_because)


def test_a_failure_measured_on_older_code_still_shows_as_a_failure(project: Project) -> None:
    project.latest_run("test", junit_xml=junit([("tests.test_auth", "test_login", "failed")]))
    project.write("app/auth.py", "LOGIN = 4\n")
    project.commit("a fix, not measured yet")

    row = project.assess()["auth"]

    assert row.status == FAIL
    assert row.evidence[0].stale_because is not None


# --- steps of a validation run --------------------------------------------------------------------

VALIDATE_LOG = "== nginx -t\nok\n== promtool test rules\nSUCCESS\n== amtool config routes test\n"


def test_a_step_the_run_went_past_passes(project: Project) -> None:
    project.latest_run("validate", exit_code=1, output_log=VALIDATE_LOG + "labels do not route\n")

    rows = project.assess()

    assert rows["rules"].status == PASS
    assert rows["routes"].status == FAIL
    assert "labels do not route" in rows["routes"].evidence[0].finding.text


def test_a_step_the_failed_run_never_reached_is_not_measured(project: Project) -> None:
    project.latest_run("validate", exit_code=1, output_log="== nginx -t\nemerg\n")

    assert project.assess()["rules"].status == MISSING


# --- the full runs on record ----------------------------------------------------------------------


def test_a_missed_load_target_fails_its_row_with_the_figure_and_target(project: Project) -> None:
    project.full_run(
        "load",
        load_result(
            read__throughput_rps=(177, 2000, "min", "FAIL"),
            read__error_rate=(0.0, 0.01, "max", "pass"),
        ),
        exit_code=1,
    )

    rows = project.assess()

    assert rows["throughput"].status == FAIL
    assert rows["throughput"].evidence[0].finding.figures == [
        {
            "key": "read.throughput_rps",
            "what": "read__throughput_rps",
            "measured": 177,
            "target": 2000,
            "kind": "min",
            "unit": "req/s",
        }
    ]
    assert "177 req/s (target >= 2,000 req/s): FAIL" in rows["throughput"].evidence[0].finding.text
    assert rows["errors"].status == PASS


def test_a_load_target_the_run_did_not_measure_is_not_measured(project: Project) -> None:
    project.full_run("load", load_result(read__error_rate=(0.0, 0.01, "max", "pass")))

    assert project.assess()["throughput"].status == MISSING


def test_a_fault_scenario_whose_reconciliation_found_a_problem_fails(project: Project) -> None:
    project.full_run("faults", faults_result(problems=["task 7: event TaskRenamed twice"]))

    row = project.assess()["redis"]

    assert row.status == FAIL
    assert "task 7: event TaskRenamed twice" in row.evidence[0].finding.text


def test_an_optional_input_counts_only_when_it_is_there(project: Project) -> None:
    project.full_run("faults", faults_result())
    assert project.assess()["redis"].status == PASS

    project.latest_run("smoke", result_json=json.dumps(faults_result(ok=False)))
    assert project.assess()["redis"].status == FAIL


def test_a_benchmark_figure_over_its_target_fails(project: Project) -> None:
    variants = [{"label": "cached", "title": "cached list", "gunicorn_cpu_ms": 4.95}]
    project.full_run("bench", {"variants": variants})

    row = project.assess()["read-cost"]

    assert row.status == FAIL
    assert row.evidence[0].finding.text == "cached list: gunicorn_cpu_ms 4.95  (target <= 1.0 )"


# --- regressions against the committed report -----------------------------------------------------


def report(**statuses: str) -> dict:
    return {"concerns": [{"id": cid, "status": status} for cid, status in statuses.items()]}


def test_evidence_that_held_and_now_fails_is_a_regression() -> None:
    before = report(a=PASS, b=STALE, c=MISSING, d=PASS, e=FAIL)
    after = report(a=FAIL, b=FAIL, c=FAIL, d=STALE, e=FAIL)

    assert regressions(before, after) == ["a", "b"]


# --- the catalogue --------------------------------------------------------------------------------


def test_the_catalogue_selects_only_tests_and_code_that_exist() -> None:
    catalog = catalogue.load()

    for concern in catalog.concerns:
        for path in concern.covers:
            assert (ROOT / path).exists(), f"{concern.id} covers a missing path {path}"
        for check in concern.checks:
            for path in check.selected_tests:
                assert (ROOT / path).exists(), f"{concern.id} selects missing tests {path}"
    assert {c.group for c in catalog.concerns} == set(catalog.groups)


def test_the_catalogue_refuses_a_check_it_cannot_judge(tmp_path: Path) -> None:
    bad = tmp_path / "concerns.toml"
    bad.write_text(
        '[groups]\norder = ["G"]\n[inputs.test]\nmake = "make test"\nwhat = "x"\n'
        '[[concern]]\nid = "x"\ngroup = "G"\nclaim = "c"\ncovers = ["app"]\n'
        'check = [{ kind = "vibes", input = "test" }]\n'
    )

    with pytest.raises(catalogue.CatalogueError, match="unknown check kind 'vibes'"):
        catalogue.load(bad)


# --- end to end: a real pytest run under record.py, then the command line -------------------------


def test_make_report_from_a_recorded_pytest_run(project: Project) -> None:
    project.write("tests/test_tasks.py", "def test_create():\n    assert 1 == 2\n")
    project.commit("a failing task test")
    evidence = project.evidence
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    junit_path = evidence / "test" / "junit.xml"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project.root)
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # this project's plugins only
        status = record.run(
            "test", evidence, [*command, f"--junitxml={junit_path}", "tests"], root=project.root
        )
    assert status == 1  # pytest's own status passes through
    meta = json.loads((evidence / "test" / "meta.json").read_text())
    assert meta["exit_code"] == 1
    assert meta["commit"] == project.code()["commit"]

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "readiness",
            "--root",
            str(project.root),
            "--catalogue",
            str(project.catalogue_path),
            "--evidence",
            str(evidence),
            "--records",
            str(project.records),
            "--markdown",
            str(project.root / "docs" / "readiness.md"),
            "--json",
            str(project.root / "docs" / "readiness.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=project.root,
        env=os.environ | {"PYTHONPATH": str(ROOT / "scripts")},
    )

    assert "report: 1 pass, 1 fail, 0 stale, 7 not measured here (9 concerns)" in out.stdout
    assert "missing input load: no record docs/evidence/load.json: run `make loadtest`" in (
        out.stdout
    )
    data = json.loads((project.root / "docs" / "readiness.json").read_text())
    statuses = {c["id"]: c["status"] for c in data["concerns"]}
    assert statuses["auth"] == PASS
    assert statuses["tasks"] == FAIL
    page = (project.root / "docs" / "readiness.md").read_text()
    assert "**1 pass · 1 fail · 0 stale · 7 not measured here** (9 concerns)" in page
    assert "`tests/test_tasks.py::test_create`" in page


def test_the_command_line_fails_on_a_regression_when_asked(project: Project) -> None:
    given_a_green_test_run(project)
    baseline = project.root / "baseline.json"
    baseline.write_text(json.dumps(report(auth=PASS, tasks=PASS)))
    project.latest_run(
        "test", junit_xml=junit([*PASSING[:2], ("tests.test_tasks", "test_create", "failed")])
    )
    args = [
        "--root",
        str(project.root),
        "--catalogue",
        str(project.catalogue_path),
        "--evidence",
        str(project.evidence),
        "--records",
        str(project.records),
        "--markdown",
        str(project.root / "out.md"),
        "--json",
        str(project.root / "out.json"),
        "--baseline",
        str(baseline),
    ]
    assert main(args) == 0  # told, not failed
    assert main([*args, "--fail-on-regression"]) == 1


def test_a_full_run_is_kept_only_when_it_wrote_its_results(tmp_path: Path) -> None:
    results, kept = tmp_path / "summary.json", tmp_path / "docs" / "evidence" / "load.json"
    results.write_text('{"passed": false}')  # an earlier run's
    write = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2]); exit(1)"

    record.run("load", tmp_path / "ev", ["true"], result=results, keep=kept)
    assert not kept.exists()

    command = [sys.executable, "-c", write, str(results), '{"passed": true}']
    status = record.run("load", tmp_path / "ev", command, result=results, keep=kept)
    assert status == 1  # a missed target is kept all the same
    data = json.loads(kept.read_text())
    assert data["result"] == {"passed": True}
    assert data["meta"]["exit_code"] == 1
    assert json.loads((tmp_path / "ev" / "load" / "result.json").read_text()) == {"passed": True}


def test_prose_beside_the_code_does_not_make_evidence_stale(project: Project) -> None:
    given_a_green_test_run(project)
    project.write("app/NOTES.md", "why the login is what it is\n")
    project.commit("notes")

    assert project.assess()["auth"].status == PASS


def test_code_a_run_never_executes_does_not_make_its_evidence_stale(project: Project) -> None:
    project.full_run("load", load_result(read__error_rate=(0.0, 0.01, "max", "pass")))
    project.write("app/tests/test_tasks.py", "def test_create(): pass\n")
    project.commit("a test beside the code (the load test ignores app/tests)")

    assert project.assess()["errors"].status == PASS

    project.write("app/tasks.py", "TASKS = 2\n")
    project.commit("the code the load test measured")

    row = project.assess()["errors"]
    assert row.status == STALE
    assert row.evidence[0].stale_because == "measured before changes to app/tasks.py"


# --- `make report` in a clean clone of this repository -------------------------------------------


def test_make_report_in_a_clean_clone_after_the_test_run(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    # Given the evidence `make test` keeps, on the clone's code: one failing test id.
    cases = [
        ("services.api.tests.api.test_auth.TestLogin", "test_login", "passed"),
        ("services.api.tests.api.test_errors", "test_unknown_url_is_the_envelope", "failed"),
    ]
    evidence = clone / "var" / "evidence" / "test"
    evidence.mkdir(parents=True)
    (evidence / "junit.xml").write_text(junit(cases))
    meta = {"finished": "2026-12-01T10:05:00Z", "exit_code": 1, "machine": {"host": "ci-1"}}
    (evidence / "meta.json").write_text(json.dumps(meta | record.code_identity(clone)))

    # -o install: use this checkout's environment instead of building one in the clone.
    out = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(clone),
            "-o",
            "install",
            "report",
            f"VENV={ROOT / '.venv'}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout

    data = json.loads((clone / "docs" / "readiness.json").read_text())
    statuses = {c["id"]: c["status"] for c in data["concerns"]}
    counts = data["counts"]
    assert (
        f"report: {counts[PASS]} pass, {counts[FAIL]} fail, {counts[STALE]} stale, "
        f"{counts[MISSING]} not measured here ({len(statuses)} concerns)"
    ) in out
    assert (
        "missing input test-stack: no var/evidence/test-stack/meta.json: run `make test-stack`"
        in out
    )
    assert statuses["api.jwt"] == PASS
    assert statuses["api.errors"] == FAIL
    assert statuses["api.roles"] == MISSING  # its tests were not in this run
    assert statuses["capacity.throughput"] == FAIL  # the full load test on record missed it
    page = (clone / "docs" / "readiness.md").read_text()
    assert "`services/api/tests/api/test_errors.py::test_unknown_url_is_the_envelope`" in page


def test_a_run_that_never_finished_is_not_measured(project: Project) -> None:
    given_a_green_test_run(project)
    meta_path = project.evidence / "test" / "meta.json"
    meta = json.loads(meta_path.read_text())
    del meta["exit_code"]  # as record.py leaves it while the command runs, or if it is killed
    meta_path.write_text(json.dumps(meta))

    row = project.assess()["auth"]

    assert row.status == MISSING
    assert "did not finish: run `make test`" in row.evidence[0].finding.text


def test_a_truncated_junit_file_is_not_measured(project: Project) -> None:
    project.latest_run("test", junit_xml=junit(PASSING)[:120])  # pytest killed mid-write

    row = project.assess()["auth"]

    assert row.status == MISSING
    assert row.evidence[0].finding.text == "no readable JUnit XML in test/"


def test_a_command_that_cannot_start_is_a_failed_run(tmp_path: Path) -> None:
    status = record.run("x", tmp_path, ["/nonexistent/program"])

    assert status == 127
    assert json.loads((tmp_path / "x" / "meta.json").read_text())["exit_code"] == 127


def test_make_dry_runs_are_not_recorded(tmp_path: Path) -> None:
    recorder = [sys.executable, str(ROOT / "scripts" / "readiness" / "record.py")]
    command = [*recorder, "x", "--evidence", str(tmp_path), "--", "true"]

    subprocess.run(command, check=True, env=os.environ | {"MAKEFLAGS": "kn -- X=1"})
    assert not (tmp_path / "x").exists()

    subprocess.run(command, check=True, env=os.environ | {"MAKEFLAGS": " --no-print-directory"})
    assert json.loads((tmp_path / "x" / "meta.json").read_text())["exit_code"] == 0
