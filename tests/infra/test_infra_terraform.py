"""terraform/: every file parses, and modules, variables and outputs refer to each other correctly.

`terraform validate` needs the providers, which only a machine with registry access can install;
these tests check statically what it would: each module's variables are declared with a type,
a description and (where a value can be wrong) a validation; each module call passes only
declared variables and every required one; every var.X and module.X.Y reference resolves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from infra_helpers import ROOT

TERRAFORM = ROOT / "terraform"
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())
ENVS = sorted(p for p in (TERRAFORM / "envs").iterdir() if p.is_dir())


def parse_dir(directory: Path) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"))
        for key, value in parsed.items():
            merged.setdefault(key, []).extend(value)
    return merged


def blocks(parsed: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    """Named blocks of one kind (python-hcl2 keeps names quoted and adds __metadata__ keys)."""
    return {
        unquote(name): body
        for block in parsed.get(kind, [])
        for name, body in block.items()
        if not name.startswith("__")
    }


def source_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


def unquote(value: Any) -> Any:
    return value.strip('"') if isinstance(value, str) else value


def test_there_are_modules_for_every_concern_and_two_environments():
    assert {m.name for m in MODULES} >= {
        "network",
        "kubernetes",
        "postgres",
        "redis",
        "registry",
        "secrets",
    }
    assert {e.name for e in ENVS} == {"staging", "prod"}


@pytest.mark.parametrize(
    "path", sorted(TERRAFORM.rglob("*.tf")), ids=lambda p: str(p.relative_to(TERRAFORM))
)
def test_every_file_parses(path):
    hcl2.loads(path.read_text(encoding="utf-8"))


def test_a_syntax_error_does_not_parse():
    broken = (
        (TERRAFORM / "modules" / "redis" / "main.tf")
        .read_text(encoding="utf-8")
        .replace("{", "", 1)
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - lark raises several error types
        hcl2.loads(broken)


@pytest.mark.parametrize("directory", MODULES + ENVS, ids=lambda p: p.name)
def test_providers_and_terraform_are_pinned(directory):
    parsed = parse_dir(directory)
    terraform = parsed["terraform"][0]
    assert re.fullmatch(r">= 1\.\d+\.\d+, < 2\.0\.0", unquote(terraform["required_version"]))
    providers = {
        k: v
        for block in terraform["required_providers"]
        for k, v in block.items()
        if not k.startswith("__")
    }
    assert providers, directory
    for name, spec in providers.items():
        assert unquote(spec["source"]).startswith("hashicorp/"), name
        assert re.fullmatch(r"~> \d+\.\d+", unquote(spec["version"])), (
            f"{directory.name}: {name} not pinned"
        )


@pytest.mark.parametrize("directory", MODULES + ENVS, ids=lambda p: p.name)
def test_variables_have_types_descriptions_and_validation(directory):
    variables = blocks(parse_dir(directory), "variable")
    assert variables, directory
    for name, body in variables.items():
        assert body.get("description"), f"{directory.name}: variable {name} has no description"
        assert body.get("type"), f"{directory.name}: variable {name} has no type"
        kind = str(body["type"])
        # Identifiers handed from one module to another are checked by the provider; everything a
        # person writes is validated here.
        handed_over = name.endswith(("_id", "_ids", "_arn")) or (
            directory.name == "ci_deploy" and name == "cluster_name"
        )
        needs_validation = (
            not any(t in kind for t in ("bool", "map(", "object(")) and not handed_over
        )
        if needs_validation:
            assert body.get("validation"), f"{directory.name}: variable {name} has no validation"


@pytest.mark.parametrize("directory", MODULES + ENVS, ids=lambda p: p.name)
def test_every_var_reference_is_declared(directory):
    declared = set(blocks(parse_dir(directory), "variable"))
    used = set(re.findall(r"\bvar\.([a-z_][a-z0-9_]*)", source_text(directory)))
    assert used <= declared, f"{directory.name}: undeclared {used - declared}"
    assert declared <= used, f"{directory.name}: unused variables {declared - used}"


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_module_calls_match_module_interfaces(env):
    parsed = parse_dir(env)
    calls = blocks(parsed, "module")
    text = source_text(env)
    for name, call in calls.items():
        module_dir = (env / unquote(call["source"])).resolve()
        module = parse_dir(module_dir)
        variables = blocks(module, "variable")
        outputs = set(blocks(module, "output"))
        arguments = {
            k
            for k in call
            if k not in {"source", "version", "providers", "depends_on", "count", "for_each"}
        }
        arguments -= {k for k in call if k.startswith("__")}
        assert arguments <= set(variables), (
            f"{env.name}: module.{name} gets unknown {arguments - set(variables)}"
        )
        required = {v for v, body in variables.items() if "default" not in body}
        assert required <= arguments, f"{env.name}: module.{name} misses {required - arguments}"
        for output in re.findall(rf"\bmodule\.{name}\.([a-z_][a-z0-9_]*)", text):
            assert output in outputs, f"{env.name}: module.{name}.{output} is no output"


def test_a_module_call_with_an_unknown_argument_is_caught(tmp_path):
    env = TERRAFORM / "envs" / "prod"
    copy = tmp_path / "envs" / "prod"
    copy.mkdir(parents=True)
    for path in env.glob("*.tf"):
        (copy / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    main = copy / "main.tf"
    main.write_text(
        main.read_text().replace(
            "  multi_az                   = true\n", "  multi_azz                  = true\n", 1
        )
    )
    (tmp_path / "modules").symlink_to(TERRAFORM / "modules")
    with pytest.raises(AssertionError, match="unknown"):
        test_module_calls_match_module_interfaces(copy)


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_remote_state_is_encrypted_and_locked(env):
    terraform = parse_dir(env)["terraform"][0]
    backend = blocks(terraform, "backend")["s3"]
    assert unquote(backend["key"]) == f"taskboard/{env.name}/terraform.tfstate"
    assert backend["encrypt"] is True and backend["use_lockfile"] is True


def test_environments_declare_the_same_variables_and_outputs():
    staging, prod = (parse_dir(TERRAFORM / "envs" / name) for name in ("staging", "prod"))
    assert set(blocks(staging, "variable")) == set(blocks(prod, "variable"))
    assert set(blocks(staging, "output")) == set(blocks(prod, "output"))


def test_production_is_highly_available_and_protected():
    calls = blocks(parse_dir(TERRAFORM / "envs" / "prod"), "module")
    assert calls["postgres"]["multi_az"] is True
    assert calls["postgres"]["deletion_protection"] is True
    assert calls["postgres"]["backup_retention_days"] >= 14
    assert calls["redis"]["multi_az"] is True and calls["redis"]["replicas"] >= 1
    assert calls["network"]["single_nat_gateway"] is False


def test_data_stores_are_encrypted():
    postgres = source_text(TERRAFORM / "modules" / "postgres")
    assert "storage_encrypted     = true" in postgres and '"rds.force_ssl"' in postgres
    redis = source_text(TERRAFORM / "modules" / "redis")
    for setting in (
        "at_rest_encryption_enabled = true",
        "transit_encryption_enabled = true",
        "auth_token ",
    ):
        assert setting in redis, setting
    secrets = source_text(TERRAFORM / "modules" / "secrets")
    assert "rediss://" in secrets and "sslmode=require" in secrets


def test_outputs_have_descriptions_and_secrets_are_sensitive():
    for directory in MODULES + ENVS:
        for name, body in blocks(parse_dir(directory), "output").items():
            assert body.get("description"), f"{directory.name}: output {name}"
            if any(word in name for word in ("password", "token", "secret_key")):
                assert body.get("sensitive") is True, (
                    f"{directory.name}: output {name} must be sensitive"
                )
