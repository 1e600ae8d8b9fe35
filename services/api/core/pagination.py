"""Three pagination strategies, chosen per request by its query string.

Precedence: `?cursor=` or `?pagination=cursor` selects cursor pagination, then `?limit=` or
`?offset=` selects limit-offset, else page numbers. `page_size` sizes every strategy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = settings.PAGE_SIZE_DEFAULT
    page_size_query_param = "page_size"
    max_page_size = settings.PAGE_SIZE_MAX


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = settings.PAGE_SIZE_DEFAULT
    max_limit = settings.PAGE_SIZE_MAX

    def get_limit(self, request: Request) -> int | None:
        if self.limit_query_param not in request.query_params:
            page_size = request.query_params.get("page_size")
            if page_size is not None:
                try:
                    return pagination._positive_int(page_size, strict=True, cutoff=self.max_limit)
                except (KeyError, ValueError):
                    pass
        return super().get_limit(request)


class CursorPagination(pagination.CursorPagination):
    page_size = settings.PAGE_SIZE_DEFAULT
    page_size_query_param = "page_size"
    max_page_size = settings.PAGE_SIZE_MAX
    # The id is unique and never changes, which is what a stable cursor needs; views with an
    # OrderingFilter may order by other fields through `?ordering=`.
    ordering = "-id"

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        # A view whose natural order is oldest first (a history) says so with cursor_ordering.
        ordering = getattr(view, "cursor_ordering", None)
        if ordering:
            return (ordering,)
        return super().get_ordering(request, queryset, view)


# Query parameter -> the smallest value it takes. A value that is not such a number is refused with
# 400 instead of being silently replaced by the default (a typo would otherwise go unnoticed); an
# empty one means the default, as for the filters.
_NUMERIC_PARAMETERS = {"page_size": 1, "limit": 1, "offset": 0, "page": 1}


def validate_pagination_parameters(request: Request) -> None:
    errors: dict[str, list[str]] = {}
    params = request.query_params
    for name in (*_NUMERIC_PARAMETERS, "pagination", "cursor"):
        if len(params.getlist(name)) > 1:
            errors[name] = ["Give this parameter at most once."]
    for name, minimum in _NUMERIC_PARAMETERS.items():
        value = params.get(name)
        if name in errors or not value or (name == "page" and value == "last"):
            continue
        if not (value.isascii() and value.isdigit()) or int(value) < minimum:
            errors[name] = [f"A whole number of at least {minimum} is required."]
    if "pagination" not in errors and params.get("pagination") not in (None, "", "cursor"):
        errors["pagination"] = ["The only value is `cursor`."]
    if errors:
        raise ValidationError(errors)


class QuerySelectedPagination(pagination.BasePagination):
    """Delegates each request to the strategy its query string selects."""

    strategies = (CursorPagination, LimitOffsetPagination, PageNumberPagination)

    def __init__(self) -> None:
        self.delegate: pagination.BasePagination = PageNumberPagination()

    @staticmethod
    def strategy_for(request: Request) -> type[pagination.BasePagination]:
        params = request.query_params
        if "cursor" in params or params.get("pagination") == "cursor":
            return CursorPagination
        if "limit" in params or "offset" in params:
            return LimitOffsetPagination
        return PageNumberPagination

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        validate_pagination_parameters(request)
        self.delegate = self.strategy_for(request)()
        return self.delegate.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return self.delegate.get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page_schema = PageNumberPagination().get_paginated_response_schema(schema)
        page_schema["required"] = ["next", "previous", "results"]
        page_schema["properties"]["count"]["description"] = (
            "Total number of results; absent with cursor pagination."
        )
        return page_schema

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters: dict[str, dict[str, Any]] = {}
        for strategy in self.strategies:
            for parameter in strategy().get_schema_operation_parameters(view):
                parameters.setdefault(parameter["name"], parameter)
        parameters["pagination"] = {
            "name": "pagination",
            "required": False,
            "in": "query",
            "description": "`cursor` selects cursor pagination without a cursor yet.",
            "schema": {"type": "string", "enum": ["cursor"]},
        }
        parameters["page_size"]["description"] = (
            f"Results per page for every strategy (default {settings.PAGE_SIZE_DEFAULT}, "
            f"at most {settings.PAGE_SIZE_MAX})."
        )
        return list(parameters.values())
