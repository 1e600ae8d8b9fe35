"""Versions as HTTP validators: ETag out, If-Match in."""

import re

from django.utils.http import parse_etags
from rest_framework.request import Request

from core.errors import PreconditionFailed

_VERSION = re.compile(r'(?:W/)?"([0-9]{1,10})"')


def etag_for_version(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int | None:
    """The version named by If-Match, None when absent or `*` (last write wins)."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    etags = parse_etags(header)
    if etags == ["*"]:
        return None
    # One ETag of ours: a version is ASCII digits, no more than the column holds (str.isdigit()
    # also accepts "²", which int() refuses, and int() refuses more than 4300 digits: both were
    # a 500). parse_etags drops what is no entity-tag at all, so that is refused here too.
    match = _VERSION.fullmatch(etags[0]) if len(etags) == 1 else None
    if match is None:
        raise PreconditionFailed('If-Match must be an ETag this API returned, such as "3".')
    return int(match.group(1))
