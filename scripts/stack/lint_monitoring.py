"""Checks the monitoring files beyond what promtool and amtool check.

Dashboards (monitoring/grafana/dashboards/*.json):
  - valid JSON with a unique uid and title, the "taskboard" tag, schemaVersion and panels;
  - panels with unique ids, a grid position inside the 24-column grid, no two overlapping;
  - every query on the provisioned Prometheus datasource, with a unique refId, using only
    variables the dashboard defines;
  - every query and variable selector parses: each is sent to a throwaway Prometheus (empty,
    on a free 127.0.0.1 port), which answers 400 bad_data to a malformed query.
Alerts (monitoring/prometheus/rules/alerts.yml):
  - `for`, a severity of critical or warning, summary, description and a runbook_url of the form
    docs/monitoring.md#<anchor> whose anchor is a heading of docs/monitoring.md;
  - a unit test in monitoring/prometheus/tests/ that fires it and one that expects silence.

Exit status 1 with one line per problem; 0 and a summary otherwise.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from grafana_queries import (
    BUILTIN_VARIABLES,
    DASHBOARDS_DIR,
    DATASOURCES_FILE,
    ROOT,
    Query,
    all_queries,
    iter_panels,
    load_dashboards,
    referenced_variables,
)

from harness import ServerProcess, free_port

ALERTS_FILE = ROOT / "monitoring" / "prometheus" / "rules" / "alerts.yml"
RULE_TESTS_DIR = ROOT / "monitoring" / "prometheus" / "tests"
RUNBOOK = ROOT / "docs" / "monitoring.md"
RUNBOOK_PREFIX = "docs/monitoring.md#"
SEVERITIES = {"critical", "warning"}
GRID_COLUMNS = 24


def provisioned_datasource_uid() -> str:
    config = yaml.safe_load(DATASOURCES_FILE.read_text())
    (prometheus,) = [ds for ds in config["datasources"] if ds["type"] == "prometheus"]
    return str(prometheus["uid"])


def check_dashboards(problems: list[str]) -> int:
    uid = provisioned_datasource_uid()
    dashboards = load_dashboards()
    if not dashboards:
        problems.append(f"no dashboards in {DASHBOARDS_DIR}")
    seen_uids: dict[str, str] = {}
    seen_titles: dict[str, str] = {}
    for name, dashboard in dashboards.items():
        for key in ("uid", "title", "panels", "schemaVersion"):
            if key not in dashboard:
                problems.append(f"{name}: missing {key}")
        if dashboard.get("uid") in seen_uids:
            problems.append(f"{name}: uid {dashboard['uid']} also in {seen_uids[dashboard['uid']]}")
        seen_uids[dashboard.get("uid")] = name
        if len(str(dashboard.get("uid"))) > 40:
            problems.append(f"{name}: uid longer than Grafana's 40 characters")
        if dashboard.get("title") in seen_titles:
            problems.append(f"{name}: title also in {seen_titles[dashboard['title']]}")
        seen_titles[dashboard.get("title")] = name
        if "taskboard" not in dashboard.get("tags", []):
            problems.append(f"{name}: missing the taskboard tag (the dashboards' links use it)")
        defined = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
        defined |= set(BUILTIN_VARIABLES)
        check_layout(name, dashboard, problems)
        for panel in iter_panels(dashboard):
            title = panel.get("title", f"panel {panel.get('id')}")
            if panel.get("datasource", {}).get("uid") != uid:
                problems.append(f"{name} / {title}: datasource is not the provisioned uid {uid!r}")
            targets = panel.get("targets", [])
            if not targets:
                problems.append(f"{name} / {title}: no queries")
            refs = [t.get("refId") for t in targets]
            if len(refs) != len(set(refs)) or None in refs:
                problems.append(f"{name} / {title}: missing or repeated refId")
            for target in targets:
                if not str(target.get("expr", "")).strip():
                    problems.append(f"{name} / {title} / {target.get('refId')}: empty query")
                if target.get("datasource", {}).get("uid") != uid:
                    problems.append(
                        f"{name} / {title} / {target.get('refId')}: datasource is not {uid!r}"
                    )
                for variable in referenced_variables(target.get("expr", "")) - defined:
                    problems.append(f"{name} / {title}: undefined variable ${variable}")
    return len(dashboards)


def check_layout(name: str, dashboard: dict[str, Any], problems: list[str]) -> None:
    ids: set[int] = set()
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard.get("panels", []):
        panels = [panel, *panel.get("panels", [])] if panel.get("type") == "row" else [panel]
        for item in panels:
            title = item.get("title", "?")
            if item.get("id") in ids:
                problems.append(f"{name} / {title}: repeated panel id {item.get('id')}")
            ids.add(item.get("id"))
            grid = item.get("gridPos", {})
            if not all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")):
                problems.append(f"{name} / {title}: gridPos needs integer h, w, x, y")
                continue
            if grid["x"] < 0 or grid["w"] < 1 or grid["x"] + grid["w"] > GRID_COLUMNS:
                problems.append(f"{name} / {title}: gridPos outside the {GRID_COLUMNS}-column grid")
            covered = [
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            ]
            overlapped = next((cells[cell] for cell in covered if cell in cells), None)
            if overlapped:
                problems.append(f"{name} / {title}: overlaps {overlapped}")
            for cell in covered:
                cells.setdefault(cell, title)


class ThrowawayPrometheus:
    """An empty Prometheus on a free loopback port, for parsing queries; removed on exit."""

    def __enter__(self) -> ThrowawayPrometheus:
        self.workdir = tempfile.TemporaryDirectory()
        config = Path(self.workdir.name) / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 15s\n")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = ServerProcess(
            "the throwaway Prometheus",
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={Path(self.workdir.name) / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
        ).start()
        try:
            self.process.wait_http(f"{self.url}/-/ready", timeout=30)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stop(timeout=15)
        self.workdir.cleanup()

    def parse_error(self, expr: str) -> str | None:
        data = urllib.parse.urlencode({"query": expr}).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/query", data=data)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback  # nosec B310
                return None
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
            return str(body.get("error", error))


def check_queries_parse(problems: list[str]) -> int:
    queries: list[Query] = all_queries()
    with ThrowawayPrometheus() as prometheus:
        for query in queries:
            error = prometheus.parse_error(query.expr)
            if error:
                problems.append(f"{query}: {error}")
    return len(queries)


def runbook_anchors() -> set[str]:
    """GitHub's anchors for the headings of docs/monitoring.md."""
    anchors = set()
    for line in RUNBOOK.read_text().splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match[1].lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def iter_alerts() -> Iterator[dict[str, Any]]:
    for group in yaml.safe_load(ALERTS_FILE.read_text())["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                yield rule


def alert_test_cases() -> tuple[set[str], set[str]]:
    """Names of alerts with a test expecting them to fire, and with one expecting silence."""
    fired: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS_DIR.glob("*.yml"):
        for test in yaml.safe_load(path.read_text()).get("tests", []):
            for case in test.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else silent).add(case["alertname"])
    return fired, silent


def check_alerts(problems: list[str]) -> int:
    anchors = runbook_anchors() if RUNBOOK.exists() else set()
    if not RUNBOOK.exists():
        problems.append(f"{RUNBOOK.relative_to(ROOT)} is missing")
    fired, silent = alert_test_cases()
    count = 0
    for rule in iter_alerts():
        count += 1
        name = rule["alert"]
        if not rule.get("for"):
            problems.append(f"{name}: no `for` duration")
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity must be one of {sorted(SEVERITIES)}")
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not annotations.get(key):
                problems.append(f"{name}: no {key} annotation")
        url = annotations.get("runbook_url", "")
        if not url.startswith(RUNBOOK_PREFIX):
            problems.append(f"{name}: runbook_url must start with {RUNBOOK_PREFIX}")
        elif url.removeprefix(RUNBOOK_PREFIX) not in anchors:
            problems.append(f"{name}: {url} names no heading of docs/monitoring.md")
        if name not in fired:
            problems.append(f"{name}: no rule test expects it to fire")
        if name not in silent:
            problems.append(f"{name}: no rule test expects it to stay quiet")
    return count


def main() -> int:
    problems: list[str] = []
    dashboards = check_dashboards(problems)
    queries = check_queries_parse(problems)
    alerts = check_alerts(problems)
    for problem in problems:
        print(f"  {problem}")
    if problems:
        print(f"monitoring lint: {len(problems)} problem(s)")
        return 1
    print(
        f"monitoring lint: {dashboards} dashboards, {queries} queries parsed, "
        f"{alerts} alerts documented and tested"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
