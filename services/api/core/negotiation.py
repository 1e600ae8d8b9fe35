"""Content negotiation with a shortcut for what nearly every API client sends.

DRF's DefaultContentNegotiation parses the Accept header into media types and orders them by
precedence on every request (4 us, against 1 us here; a cached read costs about 1,300 us of
Gunicorn CPU, docs/benchmarks.md). Clients almost always send no Accept, `*/*` or
`application/json`, for which DRF's answer is known without parsing: the first renderer, with
its own media type. Everything else (other Accept values, `?format=`, a format suffix) goes
to DRF's algorithm unchanged, so 406 and the choice between several renderers are as before.
"""

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

JSON = "application/json"
# Accept values whose answer needs no parsing when the first renderer speaks JSON.
_SHORTCUT_ACCEPTS = frozenset({"*/*", JSON})


class FastContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        renderers = list(renderers)  # DRF passes a list; an iterator would be used up below
        if (
            renderers
            and renderers[0].media_type == JSON
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
            and request.META.get("HTTP_ACCEPT", "*/*") in _SHORTCUT_ACCEPTS
        ):
            # DRF's answer for these: `*/*` matches the first renderer, whose more precise
            # media type is returned; `application/json` matches it exactly.
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
