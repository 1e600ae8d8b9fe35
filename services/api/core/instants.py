"""Instants that users send (filters, `as_of`), made safe to compare in any database.

ISO-8601 allows offsets such as -18:09 and dates such as year 1 that PostgreSQL refuses to
compare ("time zone displacement out of range", a 500), and an offset that moves year 1 into
year 0 cannot even be converted in Python. An instant is therefore converted to UTC as soon as
it is parsed; one that cannot be is invalid input, answered with 400.
"""

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; ValueError when it lies outside the years 1 to 9999."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant lies outside the years 1 to 9999") from exc
