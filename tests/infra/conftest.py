"""Fixtures of the infrastructure tests (defined in infra_helpers, registered here)."""

from infra_helpers import compose, compose_schema, overlay  # noqa: F401 - fixtures by name
