"""OpenAPI: the error envelope as a component, and the error responses every operation can give."""

from typing import Any

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "request_id"],
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "For validation errors, each field mapped to its messages.",
                },
                "request_id": {"type": "string"},
            },
        }
    },
}

_DESCRIPTIONS = {
    "400": "Invalid input: body, filter or query parameter (`validation_error`, `parse_error`).",
    "401": "Missing or invalid credentials (`not_authenticated`, `authentication_failed`).",
    "403": "The role does not allow this action (`permission_denied`).",
    "404": "Not found, or not visible to this user (`not_found`).",
    "405": "Method not allowed (`method_not_allowed`).",
    "409": "A concurrent change won (`conflict`).",
    "412": "If-Match names a stale version (`precondition_failed`).",
    "413": "The body is too large (`request_too_large`).",
    "415": "Only application/json is accepted (`unsupported_media_type`).",
    "429": "Rate limit reached (`throttled`); see Retry-After.",
    "500": "Unexpected failure (`server_error`).",
    "503": "A backing service is down (`service_unavailable`).",
}

_PUBLIC_PATHS = ("/api/v1/auth/register/", "/api/v1/auth/token/")
_WRITE_METHODS = {"post", "put", "patch", "delete"}
_VERSIONED_PREFIX = "/api/v1/tasks/{id}/"


def _has_query_parameters(operation: dict[str, Any]) -> bool:
    return any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))


def _statuses_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["404", "405", "429", "500", "503"]
    if path != "/api/v1/auth/register/":
        statuses.append("401")  # bad credentials on the public token endpoints too
    if not path.startswith(_PUBLIC_PATHS):
        statuses.append("403")
    if method in _WRITE_METHODS:
        statuses += ["400", "413", "415"]
    elif _has_query_parameters(operation):
        statuses.append("400")  # a filter, page size or instant that is not valid
    if path == _VERSIONED_PREFIX and method in {"patch", "put", "delete"}:
        statuses += ["409", "412"]
    return sorted(set(statuses))


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses_for(path, method, operation):
                responses.setdefault(
                    status,
                    {
                        "description": _DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


# Query parameters that refuse an empty value; every other one (filters, ordering, search,
# pagination) treats `?name=` as if the parameter were absent, as HTML forms send it.
_EMPTY_REFUSED = frozenset({"as_of", "cursor"})


def allow_empty_query_values(
    result: dict[str, Any], generator: Any, **kwargs: Any
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: declares `allowEmptyValue` where it holds."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter["name"] not in _EMPTY_REFUSED:
                    parameter["allowEmptyValue"] = True
    return result
