"""Stampede protection: one recomputation at a time for a missing hot entry; the others wait for
it, and nobody waits for a recomputation that failed or died."""

import threading
import time
from collections.abc import Callable
from typing import Any

from caching import keys, stampede, store
from caching.aside import cached
from tasks import cache_keys as task_keys
from tests.caching.conftest import Lookups
from tests.conftest import requires_redis
from workspaces import cache_keys as workspace_keys

pytestmark = requires_redis

READERS = 16


def _concurrently(count: int, call: Callable[[], Any]) -> list[Any]:
    """Runs `call` in `count` threads released at the same instant; their results or errors."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


class SlowQuery:
    """Stands for an expensive PostgreSQL read; counts how often it runs."""

    def __init__(self, seconds: float = 0.3, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, str]:
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        if self.fail:
            raise LookupError("the query failed")
        return {"data": "computed"}


def _read(query: SlowQuery) -> Callable[[], Any]:
    return lambda: cached(
        cache="task_list",
        base="tasks:list:stampede",
        generations=[workspace_keys.workspace_tasks_generation_key(1)],
        compute=query,
    )


def test_a_missing_hot_entry_is_computed_once(lookups: Lookups) -> None:
    # given sixteen readers missing the same entry at the same instant
    query = SlowQuery()

    # when they all read it
    results = _concurrently(READERS, _read(query))

    # then PostgreSQL was asked once and every reader got the value
    assert query.calls == 1
    assert results == [{"data": "computed"}] * READERS
    assert lookups("task_list", "miss") == 1
    assert lookups("task_list", "hit") == READERS - 1


def test_waiters_compute_themselves_when_the_holder_died(settings: Any) -> None:
    # given a lock left by a process that died while recomputing (it expires later)
    settings.CACHE_STAMPEDE_WAIT_SECONDS = 0.2
    from caching import generations

    entry_key, _ = generations.resolve(
        "tasks:list:stampede", [keys.epoch_key(), workspace_keys.workspace_tasks_generation_key(1)]
    )
    assert store.add(store.full_key(keys.lock_key(entry_key)), "dead-process", 30)
    query = SlowQuery(seconds=0)

    # when a reader misses
    value = _read(query)()

    # then it waited a bounded time, computed and stored the value
    assert value == {"data": "computed"}
    assert query.calls == 1
    assert store.get(entry_key) == {"data": "computed"}


def test_nobody_waits_for_a_recomputation_that_failed(settings: Any) -> None:
    # given a wait bound longer than the threads are given to finish (30 s)
    settings.CACHE_STAMPEDE_WAIT_SECONDS = 120
    query = SlowQuery(seconds=0.2, fail=True)

    # when the recomputation fails (a 404, a 400, a database error)
    results = _concurrently(4, _read(query))

    # then every waiter saw the lock go and tried itself, instead of sitting out the bound
    assert all(isinstance(result, LookupError) for result in results), results


def test_a_stale_value_under_the_key_is_not_served_to_waiters() -> None:
    # `fresh` rejects what is there (an older version): the lock holder's value is awaited
    from caching import generations

    query = SlowQuery(seconds=0.1)

    def read() -> Any:
        return cached(
            cache="task_detail",
            base="task:stampede",
            generations=[task_keys.task_generation_key(1)],
            compute=lambda: {"version": 2, **query()},
            fresh=lambda value: value["version"] == 2,
        )

    entry_key, _ = generations.resolve(
        "task:stampede", [keys.epoch_key(), task_keys.task_generation_key(1)]
    )
    store.put(entry_key, {"version": 1, "data": "old"}, 60)
    results = _concurrently(8, read)
    assert query.calls == 1
    assert all(result["version"] == 2 for result in results)


def test_the_lock_is_released_after_a_recomputation() -> None:
    query = SlowQuery(seconds=0)
    _read(query)()
    locks = store.run("test", lambda client: client.keys(store.full_key("lock:*")))
    assert locks == []
    assert stampede.POLL_SECONDS < 0.1
