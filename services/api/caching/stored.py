"""Stored responses: what a cached read keeps in Redis is the answer's bytes, ready to send.

A hit writes the stored JSON and its ETag to the response as they are: no serializer, no
renderer, no digest. The bytes are produced once, on the miss that fills the entry, by the same
renderer DRF would use, so a hit and a miss answer byte for byte the same body.

Layout: a marker naming the shape, one line of JSON metadata (the ETag, and what a reader checks
before answering, such as a task's version and workspace), a newline, then the body. The marker
starts with a NUL byte (store.RAW_MARK): entries of an older shape (a pickled dict) or of another
marker are not a StoredResponse, and the reader recomputes them, never serves them. Lua reads
the metadata line with cjson (caching/round_trip.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework.settings import api_settings

from caching.store import RAW_MARK

# Moves whenever the layout changes: an entry of the previous layout is then a miss.
MARKER = RAW_MARK + b"r1\n"
CONTENT_TYPE = "application/json"
# Clients keep the representation but revalidate it on every use: the answer depends on the
# user (never for shared caches) and changes whenever someone writes.
CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    etag: str
    body: bytes
    meta: dict[str, Any] = field(default_factory=dict)

    def pack(self) -> bytes:
        header = orjson.dumps({**self.meta, "etag": self.etag})
        return b"".join((MARKER, header, b"\n", self.body))

    @classmethod
    def unpack(cls, raw: Any) -> StoredResponse | None:
        """The stored response, or None for anything else (an old shape, a corrupt value)."""
        if not isinstance(raw, bytes) or not raw.startswith(MARKER):
            return None
        end = raw.find(b"\n", len(MARKER))
        if end < 0:
            return None
        try:
            meta = orjson.loads(raw[len(MARKER) : end])
        except orjson.JSONDecodeError:
            return None
        if not isinstance(meta, dict) or not isinstance(meta.get("etag"), str):
            return None
        etag = meta.pop("etag")
        return cls(etag=etag, body=raw[end + 1 :], meta=meta)

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, content_type=CONTENT_TYPE)
        response["ETag"] = self.etag
        response["Cache-Control"] = CACHE_CONTROL
        return response


def render(data: Any) -> bytes:
    """The body DRF's first renderer (orjson) would write for `data`."""
    renderer_class: Any = api_settings.DEFAULT_RENDERER_CLASSES[0]
    return bytes(renderer_class().render(data))


def etag_for_body(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def from_data(data: Any, *, etag: str | None = None, **meta: Any) -> StoredResponse:
    """Renders `data` once; the ETag is a digest of the body unless one is given."""
    body = render(data)
    return StoredResponse(etag=etag or etag_for_body(body), body=body, meta=meta)
