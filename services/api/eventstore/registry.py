"""The event types the code knows, their current schema versions, and their upcasters.

An event written under an older schema is upcast step by step when it is read, so the code only
ever handles the current shape. Reading a type the code no longer knows is an error, never a
silent skip: a projection that skipped it would quietly diverge from the log.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_code = "unknown_event_type"
    default_detail = "The event log holds an event type this version of the code does not know."


@dataclass
class EventType:
    name: str
    schema_version: int = 1
    # upcasters[n] turns schema n into schema n + 1.
    upcasters: dict[int, Upcaster] = field(default_factory=dict)


_types: dict[str, EventType] = {}


def register(
    name: str, schema_version: int = 1, upcasters: dict[int, Upcaster] | None = None
) -> str:
    _types[name] = EventType(name, schema_version, dict(upcasters or {}))
    return name


def current_schema(name: str) -> int:
    return _require(name).schema_version


def upcast(name: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    event_type = _require(name)
    while schema_version < event_type.schema_version:
        step = event_type.upcasters.get(schema_version)
        if step is None:
            raise UnknownEventType(
                f"No upcaster for {name} from schema {schema_version} to {schema_version + 1}."
            )
        data = step(data)
        schema_version += 1
    return data


def _require(name: str) -> EventType:
    try:
        return _types[name]
    except KeyError:
        raise UnknownEventType(f"Unknown event type {name!r} in the event log.") from None


def registered_types() -> list[str]:
    return sorted(_types)
