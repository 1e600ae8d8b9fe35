"""The JSON parser of the API: orjson, with the body size limit enforced before parsing."""

from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_orjson_renderer.parsers import ORJSONParser


class BoundedJSONParser(ORJSONParser):
    """Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when request.body is read; DRF parsers read
    the stream directly, so the limit is applied here (413 in the envelope)."""

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            raise RequestDataTooBig("Request body exceeded DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return super().parse(stream, media_type, parser_context)
