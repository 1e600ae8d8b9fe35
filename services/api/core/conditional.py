"""Versions as HTTP validators: ETag out, If-Match in."""

import re

from rest_framework.request import Request

from core.errors import PreconditionFailed

_VERSION = re.compile(r"[0-9]{1,10}")


def etag_for_version(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int | None:
    """The version named by If-Match, None when absent or `*` (last write wins)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    # ASCII digits only, and no more than a version can have: str.isdigit() also accepts "²",
    # which int() refuses, and int() refuses more than 4300 digits (both were a 500).
    if not _VERSION.fullmatch(value):
        raise PreconditionFailed('If-Match must be an ETag this API returned, such as "3".')
    return int(value)
