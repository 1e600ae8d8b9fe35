"""Write-through: a command rewrites the entry it changed after its commit, so the next read is
a hit that already shows the write; and the generations make racing readers harmless."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caching import generations, keys, store
from tasks import cache_keys as task_keys
from tests.caching.conftest import Lookups
from tests.conftest import requires_redis
from tests.factories import TaskFactory
from workspaces import cache_keys as workspace_keys

pytestmark = [pytest.mark.django_db, requires_redis]


def test_a_task_update_rewrites_the_detail_entry(
    team: Any, lookups: Lookups, django_capture_on_commit_callbacks: Any
) -> None:
    # given a cached task
    task = TaskFactory(project=team.project)
    client = team.client("member")
    client.get(f"/api/v1/tasks/{task.pk}/")

    # when it is changed (and the transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(f"/api/v1/tasks/{task.pk}/", {"priority": "urgent"}, format="json")

    # then the next read is a hit that shows the change
    hits = lookups("task_detail", "hit")
    body = client.get(f"/api/v1/tasks/{task.pk}/").json()
    assert lookups("task_detail", "hit") == hits + 1
    assert body["priority"] == "urgent"
    assert body["version"] == task.version + 1


def test_a_created_task_is_a_hit_on_its_first_read(
    team: Any, lookups: Lookups, django_capture_on_commit_callbacks: Any
) -> None:
    client = team.client("member")
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/tasks/", {"project": team.project.pk, "title": "Fresh"}, format="json"
        ).json()
    body = client.get(f"/api/v1/tasks/{created['id']}/").json()
    assert body == created
    assert (lookups("task_detail", "hit"), lookups("task_detail", "miss")) == (1, 0)


def test_a_comment_moves_the_version_in_the_cached_detail(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    task = TaskFactory(project=team.project)
    client = team.client("member")
    client.get(f"/api/v1/tasks/{task.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/tasks/{task.pk}/comments/", {"body": "hi"}, format="json")
    response = client.get(f"/api/v1/tasks/{task.pk}/")
    assert response["ETag"] == f'"{task.version + 1}"'


@pytest.mark.parametrize(
    ("cache", "url", "change"),
    [
        ("project_detail", "/api/v1/projects/{project}/", {"name": "P renamed"}),
        ("workspace_detail", "/api/v1/workspaces/{workspace}/", {"description": "Now"}),
    ],
)
def test_project_and_workspace_updates_rewrite_their_entries(
    team: Any,
    lookups: Lookups,
    django_capture_on_commit_callbacks: Any,
    cache: str,
    url: str,
    change: dict[str, str],
) -> None:
    url = url.format(project=team.project.pk, workspace=team.workspace.pk)
    client = team.client("admin")
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.patch(url, change, format="json").status_code == 200
    hits = lookups(cache, "hit")
    body = client.get(url).json()
    assert lookups(cache, "hit") == hits + 1
    assert change.items() <= body.items()


def test_the_rewrite_renders_what_a_reader_would_have(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a task rewritten by a command, read back from the cache
    task = TaskFactory(project=team.project)
    client = team.client("member")
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(f"/api/v1/tasks/{task.pk}/", {"description": "d"}, format="json")
    from_rewrite = client.get(f"/api/v1/tasks/{task.pk}/").json()

    # when the cache is emptied and a reader fills it
    generations.move_epoch()
    from_reader = client.get(f"/api/v1/tasks/{task.pk}/").json()

    # then both are the same representation
    assert from_rewrite == from_reader


def test_a_reader_that_stored_a_pre_commit_state_is_never_served() -> None:
    # given a reader that resolved the current generation and read the old state
    generation = workspace_keys.project_tasks_generation_key(1)
    entry_key, value = generations.resolve("tasks:list:x", [keys.epoch_key(), generation])
    assert value is None

    # when a writer commits and moves the generation, and only then the reader stores
    generations.move([generation])
    store.put(entry_key, {"data": "the state before the write"}, 60)

    # then the next lookup does not find the reader's entry
    next_key, next_value = generations.resolve("tasks:list:x", [keys.epoch_key(), generation])
    assert next_key != entry_key
    assert next_value is None


def test_a_generation_that_expired_comes_back_with_a_new_token() -> None:
    # given an entry under a generation, and that generation lost (evicted, expired)
    generation = workspace_keys.workspace_generation_key(1)
    entry_key, _ = generations.resolve("workspace:1", [keys.epoch_key(), generation])
    store.put(entry_key, {"data": "old"}, 60)
    store.run("test", lambda client: client.delete(store.full_key(generation)))

    # then the old entry is not reachable again
    assert generations.resolve("workspace:1", [keys.epoch_key(), generation]) != (
        entry_key,
        {"data": "old"},
    )


def test_receivers_stand_down_inside_commands(team: Any) -> None:
    # given a task made by a factory (a bypass: the receivers collected its generations)
    from caching import signals

    task = TaskFactory(project=team.project)
    collected = set(signals._local.batch.generations)
    assert task_keys.task_generation_key(task.pk) in collected

    # when a command changes it, in the same transaction
    team.client("member").patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json")

    # then the receivers added nothing: the command invalidates by itself
    assert signals._local.batch.generations == collected


class TestAfterWrite:
    """The invalidation paths a command can take, one by one."""

    def test_outside_a_transaction_it_moves_and_rewrites_at_once(
        self, team: Any, monkeypatch: Any
    ) -> None:
        from caching import invalidation

        rewrites: list[Any] = []
        monkeypatch.setattr(
            invalidation.transaction,
            "get_connection",
            lambda: type("C", (), {"in_atomic_block": False}),
        )
        rewrite = invalidation.Rewrite(
            cache="task_detail",
            base="task:0",
            generation=task_keys.task_generation_key(0),
            render=lambda: rewrites.append("rendered") or {"version": 1, "data": {}},
        )
        invalidation.after_write([task_keys.task_generation_key(0)], rewrite)
        assert rewrites == ["rendered"]

    def test_after_the_commit_without_a_rewrite_it_only_moves(
        self, django_capture_on_commit_callbacks: Any, monkeypatch: Any
    ) -> None:
        from caching import invalidation

        moves: list[list[str]] = []
        monkeypatch.setattr(invalidation.gens, "move_or_remember", moves.append)
        with django_capture_on_commit_callbacks(execute=True):
            invalidation.after_write(["gen:a", "gen:b", "gen:a"])
        assert moves == [["gen:a", "gen:b"]] * 2

    def test_a_rewrite_of_a_deleted_entity_stores_nothing(self) -> None:
        from caching import invalidation

        generation = workspace_keys.project_generation_key(0)
        invalidation.Rewrite("project_detail", "project:0", generation, lambda: None).run()
        _, value = generations.resolve("project:0", [keys.epoch_key(), generation])
        assert value is None

    def test_with_caching_off_a_rewrite_only_moves(self, settings: Any) -> None:
        from caching import invalidation

        settings.CACHE_ENABLED = False
        generation = workspace_keys.project_generation_key(0)
        before, _ = generations.resolve("project:0", [keys.epoch_key(), generation])
        rendered: list[str] = []
        invalidation.Rewrite(
            "project_detail", "project:0", generation, lambda: rendered.append("x") or {}
        ).run()
        after, _ = generations.resolve("project:0", [keys.epoch_key(), generation])
        assert before != after
        assert rendered == []

    def test_a_rewrite_that_cannot_reach_redis_remembers_to_move_the_epoch(self) -> None:
        from caching import invalidation

        store.BREAKER.trip("test", ConnectionError("down"))
        invalidation.Rewrite(
            "project_detail", "project:0", workspace_keys.project_generation_key(0), dict
        ).run()
        assert generations.PENDING_EPOCH.is_set()

    def test_without_redis_nothing_is_attempted(self, settings: Any) -> None:
        from caching import invalidation

        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        }
        invalidation.after_write([keys.epoch_key()])
        assert not generations.PENDING_EPOCH.is_set()


@pytest.mark.django_db(transaction=True)
def test_a_patch_answers_from_the_entry_its_commit_wrote(team: Any, lookups: Lookups) -> None:
    # real commits: the command's on-commit rewrite runs before the view answers
    task = TaskFactory(project=team.project)
    client = team.client("member")
    client.get("/api/v1/auth/me/")  # the principal is cached: only the write's queries remain

    with CaptureQueriesContext(connection) as queries:
        patched = client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Renamed"}, format="json")

    assert patched.status_code == 200
    assert patched.json()["title"] == "Renamed"
    assert patched["ETag"] == f'"{task.version + 1}"'
    assert lookups("task_detail", "hit") == 1  # the answer is the rewritten entry
    # the task rendered once (by the rewrite after the commit), not a second time for the answer
    task_reads_after_commit = [
        q["sql"]
        for q in queries.captured_queries[
            [q["sql"] for q in queries.captured_queries].index("COMMIT") :
        ]
        if 'FROM "tasks_task"' in q["sql"]
    ]
    assert len(task_reads_after_commit) == 1
    assert client.get(f"/api/v1/tasks/{task.pk}/").json() == patched.json()
