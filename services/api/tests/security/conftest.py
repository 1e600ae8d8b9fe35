"""Fixtures of the security tests."""

from tests.fuzz.conftest import no_throttles  # noqa: F401 - probes send more than a burst
