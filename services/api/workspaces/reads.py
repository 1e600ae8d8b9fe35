"""The cached reads of workspaces and projects: what each GET endpoint's entry depends on, and
its answer (tasks/reads.py explains the pattern).

Every one first establishes the user's role in each workspace: from the user's cached principal
(accounts/principals.py, invalidated by every membership change) or from PostgreSQL. The shared
entries hold only what is the same for everybody who may see them; a workspace's role field is
added per reader.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404
from rest_framework.request import Request

from caching.answers import (
    Answer,
    Render,
    answer,
    cached_entry,
    cached_list,
    id_param,
    list_from_round_trip,
    page_url,
    query_of,
)
from caching.round_trip import EntryPlan
from caching.stored import StoredResponse
from workspaces import representations
from workspaces.cache_keys import (
    PRINCIPAL_ROLES_FIELD,
    PROJECT_LIST_PREFIX,
    WORKSPACE_GENERATION_PREFIX,
    WORKSPACE_LIST_PREFIX,
    WORKSPACE_PROJECTS_GENERATION_PREFIX,
    project_detail_key,
    project_generation_key,
    project_list_key,
    project_list_key_tail,
    workspace_detail_key,
    workspace_generation_key,
    workspace_list_key,
    workspace_list_key_tail,
    workspace_projects_generation_key,
)
from workspaces.queries import membership_roles

# Attribute of a user instance that holds the roles read with it: the cached principal
# (accounts/principals.py) sets it on the user it builds.
CACHED_ROLES_ATTRIBUTE = "_cached_workspace_roles"


def workspace_roles(user: AbstractBaseUser | AnonymousUser) -> dict[int, str]:
    """The user's role in each workspace: the roles cached with the user when it was
    authenticated from the cache, else fresh from PostgreSQL."""
    roles = getattr(user, CACHED_ROLES_ATTRIBUTE, None)
    if roles is not None:
        return dict(roles)
    return membership_roles(user=user)


def project_list_plan(request: Request) -> EntryPlan:
    """The project list's entry for the round trip: keyed by the reader's visibility digest,
    which the round trip takes from the cached principal; the same key and generations as
    `project_list` builds."""
    tail = project_list_key_tail(query=query_of(request), url=page_url(request))
    workspace = id_param(request.query_params.get("workspace"))
    if workspace is not None:
        return EntryPlan(
            head=PROJECT_LIST_PREFIX,
            tail=tail,
            scope="visibility",
            generations=[workspace_projects_generation_key(workspace)],
        )
    return EntryPlan(
        head=PROJECT_LIST_PREFIX,
        tail=tail,
        scope="visibility",
        per_workspace=WORKSPACE_PROJECTS_GENERATION_PREFIX,
    )


def project_list(request: Request, *, render: Render) -> Answer:
    answered = list_from_round_trip(request, cache="project_list", render=render)
    if answered is not None:
        return answered
    roles = workspace_roles(request.user)
    generations = project_list_plan(request).generations_for(roles)
    base = project_list_key(
        visible_workspaces=roles, query=query_of(request), url=page_url(request)
    )
    return cached_list(
        request, cache="project_list", base=base, generations=generations, render=render
    )


def workspace_list_plan(request: Request) -> EntryPlan:
    """The workspace list's entry for the round trip: keyed by the reader's roles digest, which
    the round trip takes from the cached principal; the same key and generations as
    `workspace_list` builds."""
    return EntryPlan(
        head=WORKSPACE_LIST_PREFIX,
        tail=workspace_list_key_tail(query=query_of(request), url=page_url(request)),
        scope=PRINCIPAL_ROLES_FIELD,
        per_workspace=WORKSPACE_GENERATION_PREFIX,
    )


def workspace_list(request: Request, *, render: Render) -> Answer:
    """Each workspace shows the user's role in it: the roles are part of the key."""
    answered = list_from_round_trip(request, cache="workspace_list", render=render)
    if answered is not None:
        return answered
    roles = workspace_roles(request.user)
    generations = workspace_list_plan(request).generations_for(roles)
    base = workspace_list_key(roles=roles, query=query_of(request), url=page_url(request))
    return cached_list(
        request, cache="workspace_list", base=base, generations=generations, render=render
    )


def project_detail_plan(project_id: int) -> EntryPlan:
    """A project's entry for the round trip: the same key and generation `project_detail` reads
    when no round trip read it."""
    return EntryPlan(
        head=project_detail_key(project_id), generations=[project_generation_key(project_id)]
    )


def project_detail(request: Request, *, project_id: int, render: Render) -> Answer:
    roles = workspace_roles(request.user)
    stored = StoredResponse.unpack(
        cached_entry(
            request,
            cache="project_detail",
            plan=project_detail_plan(project_id),
            compute=lambda: representations.project_entry(render()),
            fresh=representations.is_project_entry,
        )
    )
    # An invariant (computed or accepted by `fresh`), stated for the type checker.
    assert stored is not None  # noqa: S101  # nosec B101
    if stored.meta["workspace"] not in roles:
        raise Http404  # cached for someone else; this user is not in its workspace
    return answer(request, stored)


def workspace_detail_plan(workspace_id: int) -> EntryPlan:
    """A workspace's entry for the round trip: the same key and generation `workspace_detail`
    reads when no round trip read it."""
    return EntryPlan(
        head=workspace_detail_key(workspace_id),
        generations=[workspace_generation_key(workspace_id)],
    )


def workspace_detail(request: Request, *, workspace_id: int, render: Render) -> Answer:
    roles = workspace_roles(request.user)
    if workspace_id not in roles:
        raise Http404  # before the entry is looked at (and counted)
    entry = cached_entry(
        request,
        cache="workspace_detail",
        plan=workspace_detail_plan(workspace_id),
        compute=lambda: representations.workspace_entry(render()),
        fresh=representations.is_workspace_entry,
    )
    stored = representations.with_role(StoredResponse.unpack(entry), roles[workspace_id])
    # An invariant (computed or accepted by `fresh`), stated for the type checker.
    assert stored is not None  # noqa: S101  # nosec B101
    return answer(request, stored)
