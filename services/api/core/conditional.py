"""Versions as HTTP validators: ETag out, If-Match in."""

from rest_framework.request import Request

from core.errors import PreconditionFailed


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
    if not value.isdigit():
        raise PreconditionFailed('If-Match must be an ETag this API returned, such as "3".')
    return int(value)
