"""The key functions: what goes into a key, and that different answers never share one."""

from django.http import QueryDict

from caching import keys
from tasks import cache_keys as task_keys
from workspaces import cache_keys as workspace_keys


def _query(text: str) -> list[tuple[str, list[str]]]:
    return keys.normalised_query(QueryDict(text).lists())


URL = "http://testserver/api/v1/tasks/"


def test_detail_and_generation_keys_are_named_per_object() -> None:
    assert task_keys.task_detail_key(7) == "task:7"
    assert workspace_keys.project_detail_key(7) == "project:7"
    assert workspace_keys.workspace_detail_key(7) == "workspace:7"
    assert task_keys.task_generation_key(7) != workspace_keys.project_generation_key(7)
    assert workspace_keys.project_tasks_generation_key(
        7
    ) != workspace_keys.workspace_tasks_generation_key(7)


def test_query_order_does_not_matter_but_values_do() -> None:
    # given two orderings of the same filters, and a different value
    same = [_query("status=done&page=2"), _query("page=2&status=done")]
    other = _query("status=todo&page=2")

    # then the first two share a key and the third does not
    key = task_keys.task_list_key(visible_workspaces=[1], query=same[0], url=URL)
    assert task_keys.task_list_key(visible_workspaces=[1], query=same[1], url=URL) == key
    assert task_keys.task_list_key(visible_workspaces=[1], query=other, url=URL) != key


def test_an_empty_parameter_is_not_dropped() -> None:
    # `?cursor=` selects cursor pagination: it must not share a key with no parameter at all
    assert task_keys.task_list_key(
        visible_workspaces=[1], query=_query("cursor="), url=URL
    ) != task_keys.task_list_key(visible_workspaces=[1], query=_query(""), url=URL)


def test_repeated_values_keep_their_order() -> None:
    # the last value of a single-valued filter wins, so the order is part of the answer
    assert _query("project=1&project=2") != _query("project=2&project=1")


def test_visibility_is_part_of_every_list_key() -> None:
    query = _query("")
    assert task_keys.task_list_key(visible_workspaces=[1, 2], query=query, url=URL) == (
        task_keys.task_list_key(visible_workspaces=[2, 1], query=query, url=URL)
    )
    assert task_keys.task_list_key(visible_workspaces=[1], query=query, url=URL) != (
        task_keys.task_list_key(visible_workspaces=[1, 2], query=query, url=URL)
    )
    assert workspace_keys.project_list_key(visible_workspaces=[1], query=query, url=URL) != (
        workspace_keys.project_list_key(visible_workspaces=[2], query=query, url=URL)
    )


def test_roles_are_part_of_the_workspace_list_key() -> None:
    query = _query("")
    assert workspace_keys.workspace_list_key(roles={1: "owner"}, query=query, url=URL) != (
        workspace_keys.workspace_list_key(roles={1: "viewer"}, query=query, url=URL)
    )


def test_the_page_url_is_part_of_list_keys() -> None:
    # the pagination's absolute links are built from the scheme and host
    query = _query("page=1")
    assert task_keys.task_list_key(visible_workspaces=[1], query=query, url=URL) != (
        task_keys.task_list_key(
            visible_workspaces=[1], query=query, url="https://other/api/v1/tasks/"
        )
    )


def test_list_families_of_different_resources_never_collide() -> None:
    query = _query("")
    assert (
        len(
            {
                task_keys.task_list_key(visible_workspaces=[1], query=query, url=URL),
                workspace_keys.project_list_key(visible_workspaces=[1], query=query, url=URL),
                workspace_keys.workspace_list_key(roles={1: "owner"}, query=query, url=URL),
            }
        )
        == 3
    )


def test_write_behind_keys_carry_the_prefix_but_not_the_version(settings: object) -> None:
    buffer = task_keys.task_views_buffer_key()
    assert buffer.startswith(f"{keys.settings.CACHE_KEY_PREFIX}:writebehind:")
    assert f":{keys.settings.CACHE_VERSION}:" not in buffer
    assert (
        len(
            {buffer, task_keys.task_views_flushing_key(), task_keys.task_views_flushing_batch_key()}
        )
        == 3
    )
