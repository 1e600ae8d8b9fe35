"""Fixtures of the operations tests."""

from tests.fuzz.conftest import no_throttles  # noqa: F401 - scenarios send more than a burst
