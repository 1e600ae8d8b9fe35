"""Conditional GETs: ETags of cached representations and `If-None-Match` answered with 304.

Task details keep the task's version as their ETag (core/conditional.py), which is also what
If-Match takes. Other cached reads use a digest of the JSON they answer with (caching/stored.py),
computed once when the entry is stored, so a 304 costs neither a query nor a rendering."""

from __future__ import annotations

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

# Clients keep the representation but revalidate it on every use: the answer depends on the
# user (never for shared caches) and changes whenever someone writes.
CACHE_CONTROL = "private, no-cache"


def if_none_match(request: Request, etag: str) -> bool:
    """True when the client's If-None-Match names this ETag (weak comparison, as RFC 9110 asks
    for If-None-Match) or is `*`."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in parse_etags(header))


def _opaque(etag: str) -> str:
    return etag.removeprefix("W/")


def not_modified(etag: str) -> Response:
    response = Response(status=status.HTTP_304_NOT_MODIFIED)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
