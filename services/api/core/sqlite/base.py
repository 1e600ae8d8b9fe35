"""Django's SQLite backend (the embedded default) made to answer out-of-range integers the way
PostgreSQL does.

A query parameter beyond SQLite's 64-bit integers (an id or filter such as 10**25 typed into a
URL) makes Python's sqlite3 module raise OverflowError before the query runs: a 500 where
PostgreSQL, comparing the bigint column with a numeric, simply finds no row (a 404 or an empty
list). Binding such a number as a float gives SQLite's comparison the same answer: no stored
64-bit integer equals it, and it orders after (or before) every one of them.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.backends.sqlite3 import base

_MIN, _MAX = -(2**63), 2**63 - 1


def _bindable(value: Any) -> Any:
    if type(value) is int and not _MIN <= value <= _MAX:
        return float(value)
    return value


def _bindable_params(params: Any) -> Any:
    if isinstance(params, Mapping):
        return {name: _bindable(value) for name, value in params.items()}
    if isinstance(params, list | tuple):
        return [_bindable(value) for value in params]
    return params


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def execute(self, query: str, params: Any = None) -> Any:
        return super().execute(query, _bindable_params(params))

    def executemany(self, query: str, param_list: Iterable[Any]) -> Any:
        return super().executemany(query, (_bindable_params(p) for p in param_list))


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
