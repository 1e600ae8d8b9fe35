"""The Prometheus queries of the Grafana dashboards, expanded the way Grafana sends them.

Shared by lint_monitoring.py (every query must parse) and tests/stack (every query must return
data from the live Prometheus).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS_DIR = ROOT / "monitoring" / "grafana" / "dashboards"
DATASOURCES_FILE = (
    ROOT / "monitoring" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
)

# $__rate_interval is max($__interval + scrape interval, 4 x scrape interval): with the 15 s
# scrape interval of monitoring/prometheus/prometheus.yml, 1m at every zoom of a dashboard's
# default hour.
RATE_INTERVAL = "1m"
BUILTIN_VARIABLES = {"__rate_interval": RATE_INTERVAL, "__interval": "15s", "__range": "1h"}

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?P<selector>.+?)\s*,\s*(?P<label>\w+)\s*\)\s*$")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    ref: str
    expr: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref}: {self.expr}"


def load_dashboards(directory: Path = DASHBOARDS_DIR) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def iter_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels included, rows themselves excluded."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def variable_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Each template variable's default value as Grafana interpolates it into PromQL."""
    values = dict(BUILTIN_VARIABLES)
    for variable in dashboard.get("templating", {}).get("list", []):
        current = variable.get("current", {}).get("value")
        chosen = current if isinstance(current, list) else [current]
        if not chosen or chosen == [None] or "$__all" in chosen:
            values[variable["name"]] = variable.get("allValue") or ".+"
        elif len(chosen) == 1:
            values[variable["name"]] = str(chosen[0])
        else:
            values[variable["name"]] = "(" + "|".join(re.escape(str(v)) for v in chosen) + ")"
    return values


def referenced_variables(expr: str) -> set[str]:
    return {next(group for group in match.groups() if group) for match in _VARIABLE.finditer(expr)}


def expand(expr: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name not in values:
            raise KeyError(f"undefined dashboard variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def panel_queries(name: str, dashboard: dict[str, Any]) -> list[Query]:
    values = variable_values(dashboard)
    return [
        Query(
            name, panel.get("title", "?"), target.get("refId", "?"), expand(target["expr"], values)
        )
        for panel in iter_panels(dashboard)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def variable_queries(name: str, dashboard: dict[str, Any]) -> list[Query]:
    """The series selector of each label_values() variable (what fills its drop-down)."""
    values = variable_values(dashboard)
    queries = []
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        definition = variable.get("definition") or variable.get("query", {}).get("query", "")
        match = _LABEL_VALUES.match(definition)
        if not match:
            raise ValueError(
                f"{name}: variable {variable['name']} is not label_values(selector, label)"
            )
        queries.append(
            Query(
                name,
                f"variable {variable['name']}",
                match["label"],
                expand(match["selector"], values),
            )
        )
    return queries


def all_queries(directory: Path = DASHBOARDS_DIR) -> list[Query]:
    queries = []
    for name, dashboard in load_dashboards(directory).items():
        queries += variable_queries(name, dashboard)
        queries += panel_queries(name, dashboard)
    return queries
