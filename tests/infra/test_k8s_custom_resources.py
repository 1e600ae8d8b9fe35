"""Custom resources (cert-manager, Prometheus Operator) in the strict validation."""

from __future__ import annotations

import copy
import importlib.util
from typing import Any

import pytest
from infra_helpers import ROOT, kustomize, load_yaml_documents, rendered_overlay

spec = importlib.util.spec_from_file_location(
    "validate_custom_resources", ROOT / "k8s" / "scripts" / "validate-custom-resources.py"
)
assert spec and spec.loader
validator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(validator)


def operator_docs() -> list[dict[str, Any]]:
    result = kustomize(ROOT / "k8s" / "monitoring" / "operator")
    assert result.returncode == 0, result.stderr
    return load_yaml_documents(result.stdout)


def custom(docs, kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in docs if d["kind"] == kind))


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_overlays_custom_resources_are_valid(overlay):
    docs = list(rendered_overlay(overlay))
    assert {d["kind"] for d in docs if not validator.is_builtin(d["apiVersion"])} == {
        "Certificate",
        "Issuer",
    }
    assert validator.errors(docs) == []


def test_the_operator_resources_are_valid():
    docs = operator_docs()
    assert {d["kind"] for d in docs} == {"ServiceMonitor", "PrometheusRule"}
    assert validator.errors(docs) == []


def test_an_unknown_field_a_bad_enum_and_a_missing_field_are_refused():
    certificate = custom(rendered_overlay("dev"), "Certificate")
    certificate["spec"]["dnsName"] = ["typo.example"]
    certificate["spec"]["privateKey"]["algorithm"] = "DSA"
    del certificate["spec"]["secretName"]
    found = "\n".join(validator.errors([certificate]))
    assert "dnsName" in found and "DSA" in found and "secretName" in found


def test_a_rule_with_both_alert_and_record_and_a_bad_duration_are_refused():
    rule = custom(operator_docs(), "PrometheusRule")
    first = rule["spec"]["groups"][0]["rules"][0]
    first.update(alert="Both", record="both:too", **{"for": "5 minutes"})
    found = "\n".join(validator.errors([rule]))
    assert "groups/0/rules/0" in found and "5 minutes" in found


def test_a_custom_kind_without_a_schema_is_an_error():
    found = validator.errors(
        [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}]
    )
    assert found == ["Widget/w: no schema for example.com/v1 Widget in k8s/schemas/"]
