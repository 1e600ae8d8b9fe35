"""The database circuit breaker: after one failed connection attempt, requests fail at once
instead of each waiting the pool timeout; one caller probes; a success closes it."""

import copy
import threading
from typing import Any

import pytest
from django.db import OperationalError, connection
from psycopg_pool.base import AttemptWithBackoff

from core.circuit_breaker import CircuitBreaker
from core.postgres.base import DatabaseWrapper, breaker_for
from tests.conftest import requires_postgres


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("test", open_seconds=1.0, clock=clock)


def test_a_closed_breaker_lets_every_caller_try(breaker: CircuitBreaker) -> None:
    assert [breaker.allow() for _ in range(3)] == [True, True, True]
    assert not breaker.is_open


def test_one_failure_opens_it_and_callers_are_refused_until_the_window_ends(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    breaker.failed()
    assert breaker.is_open
    assert not breaker.allow()
    clock.now += 0.99
    assert not breaker.allow()


def test_after_the_window_one_caller_probes_and_the_others_keep_failing(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    breaker.failed()
    clock.now += 1.0
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # while the probe is out
    assert not breaker.allow()


def test_a_successful_probe_closes_it(breaker: CircuitBreaker, clock: FakeClock) -> None:
    breaker.failed()
    clock.now += 1.5
    assert breaker.allow()
    breaker.succeeded()
    assert not breaker.is_open
    assert breaker.allow() and breaker.allow()


def test_a_failed_probe_opens_it_for_another_window(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    breaker.failed()
    clock.now += 1.5
    assert breaker.allow()
    breaker.failed()
    assert not breaker.allow()
    clock.now += 1.0
    assert breaker.allow()


def test_opening_and_closing_are_logged_once(
    breaker: CircuitBreaker, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    breaker.failed()
    breaker.failed()
    clock.now += 2
    breaker.allow()
    breaker.succeeded()
    breaker.succeeded()
    messages = [record.getMessage() for record in caplog.records]
    assert [m.split(":")[0] for m in messages] == ["circuit opened", "circuit closed"]


def _wrapper(alias: str, **changes: Any) -> DatabaseWrapper:
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict.update(changes)
    return DatabaseWrapper(settings_dict, alias=alias)


@pytest.fixture
def short_window(settings: Any) -> None:
    """Breakers made in the test open for 0.2 s (each test uses an alias of its own)."""
    settings.DB_CIRCUIT_OPEN_SECONDS = 0.2


@requires_postgres
@pytest.mark.django_db
def test_an_unreachable_postgresql_fails_once_slowly_then_at_once(short_window: None) -> None:
    # Given: a pooled connection to a port where nothing listens, the pool waiting 0.3 s
    options = {**connection.settings_dict["OPTIONS"]}
    options["pool"] = {**options["pool"], "timeout": 0.3, "min_size": 0}
    unreachable = _wrapper("circuit-unreachable", PORT="1", OPTIONS=options)
    try:
        # When: a request needs a connection, twice
        with pytest.raises(OperationalError) as first:
            unreachable.ensure_connection()
        with pytest.raises(OperationalError) as second:
            unreachable.ensure_connection()
    finally:
        unreachable.close_pool()

    # Then: the first waited for the pool and failed; the second did not wait at all
    assert "circuit open" not in str(first.value)
    assert "circuit open" in str(second.value)
    assert breaker_for("circuit-unreachable").is_open


@requires_postgres
@pytest.mark.django_db
def test_the_first_connection_after_the_window_closes_the_circuit(short_window: None) -> None:
    # Given: a breaker opened by an earlier outage, for a database that answers again
    database = _wrapper("circuit-recovered")
    breaker = breaker_for("circuit-recovered")
    breaker.failed()
    try:
        # Then: inside the window the caller is refused without trying
        with pytest.raises(OperationalError, match="circuit open"):
            database.ensure_connection()

        # When: the window has passed
        breaker._opened_at = (breaker._opened_at or 0) - 1.0

        # Then: the probe connects, queries, and closes the circuit
        database.ensure_connection()
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert not breaker.is_open
    finally:
        database.close()
        database.close_pool()


def test_the_pool_retries_a_lost_database_about_once_a_second_not_exponentially() -> None:
    # core/postgres/base.py: the pool's default doubling left a worker without PostgreSQL for
    # seconds after it had come back.
    attempt = AttemptWithBackoff(timeout=300)
    delays = []
    for second in range(8):
        attempt.update_delay(float(second))
        delays.append(attempt.delay)
    assert all(0.85 <= delay <= 1.15 for delay in delays), delays


@requires_postgres
@pytest.mark.django_db
def test_a_probe_that_fails_in_an_unexpected_way_does_not_hold_the_circuit_open(
    short_window: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: an open breaker whose window has passed, and a connection attempt that raises
    # something other than a database error
    database = _wrapper("circuit-unexpected")
    breaker = breaker_for("circuit-unexpected")
    breaker.failed()
    breaker._opened_at = (breaker._opened_at or 0) - 1.0

    def broken(self: Any, conn_params: Any) -> Any:
        raise RuntimeError("not a database error")

    monkeypatch.setattr(
        "django.db.backends.postgresql.base.DatabaseWrapper.get_new_connection", broken
    )
    with pytest.raises(RuntimeError):
        database.ensure_connection()
    monkeypatch.undo()

    # Then: the next window's probe is let through and closes the circuit
    breaker._opened_at = (breaker._opened_at or 0) - 1.0
    try:
        database.ensure_connection()
        assert not breaker.is_open
    finally:
        database.close()
        database.close_pool()


class _Interrupted(BaseException):
    """Like the SystemExit a Gunicorn worker timeout raises in the middle of a call."""


@requires_postgres
@pytest.mark.django_db
def test_a_probe_interrupted_by_a_base_exception_is_released(
    short_window: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: an open breaker whose window has passed, and a probe interrupted mid-connect
    database = _wrapper("circuit-interrupted")
    breaker = breaker_for("circuit-interrupted")
    breaker.failed()
    breaker._opened_at = (breaker._opened_at or 0) - 1.0

    def interrupted(self: Any, conn_params: Any) -> Any:
        raise _Interrupted

    monkeypatch.setattr(
        "django.db.backends.postgresql.base.DatabaseWrapper.get_new_connection", interrupted
    )
    with pytest.raises(_Interrupted):
        database.ensure_connection()
    monkeypatch.undo()

    # Then: the probe was given back (it stayed taken for good): the next caller probes and
    # closes the circuit, without waiting another window
    try:
        database.ensure_connection()
        assert not breaker.is_open
    finally:
        database.close()
        database.close_pool()


def test_abandoning_keeps_the_circuit_as_it_was(breaker: CircuitBreaker, clock: FakeClock) -> None:
    breaker.failed()
    clock.now += breaker.open_seconds + 0.1
    assert breaker.allow()  # the probe
    assert not breaker.allow()
    breaker.abandoned()
    assert breaker.is_open
    assert breaker.allow()  # another caller may probe now


def test_only_the_prober_gives_its_probe_back(breaker: CircuitBreaker, clock: FakeClock) -> None:
    # given a probe taken by another thread
    breaker.failed()
    clock.now += breaker.open_seconds + 0.1
    taken = []
    prober = threading.Thread(target=lambda: taken.append(breaker.allow()))
    prober.start()
    prober.join()
    assert taken == [True]

    # when an attempt of this thread, which let no probe out, ends without an answer
    breaker.abandoned()

    # then the other thread's probe is still out: no second probe
    assert not breaker.allow()


def test_the_window_may_be_read_when_the_circuit_opens(clock: FakeClock) -> None:
    window = [1.0]
    breaker = CircuitBreaker("test", open_seconds=lambda: window[0], clock=clock)
    window[0] = 3.0
    breaker.failed()
    clock.now += 2.0
    assert not breaker.allow()
    clock.now += 1.0
    assert breaker.allow()


def test_reset_closes_the_circuit_at_once(breaker: CircuitBreaker) -> None:
    breaker.failed()
    breaker.reset()
    assert not breaker.is_open
    assert breaker.allow()
