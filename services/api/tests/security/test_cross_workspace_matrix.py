"""Cross-workspace access, every object type in one matrix: someone outside a workspace gets
exactly the answer a nonexistent id gets (status, code, message, details), never a byte of the
workspace's data, whether the answer is computed or served from the cache, and whatever the
method. Also through ids named in bodies and filters, conditional requests, and the WebSocket.

The attacker is a real user with a workspace of their own; the victim's caches are warm before
the attack, and the victim's view is unchanged after it.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Team, client_for, requires_redis
from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    MilestoneFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)
from tests.realtime.conftest import (  # noqa: F401 - the realtime fixtures, autouse there
    _database_calls_on_the_test_thread,
    _fresh_layer_and_registry,
    connected,
    run,
    subscribe,
)
from workspaces import commands
from workspaces.models import Role

MARKER = "victim-secret-7f3a"  # in every name, title and body of the victim's workspace
MISSING = 987_654_321  # an id no object has


@dataclass
class World:
    team: Team
    ids: dict[str, int]
    own: dict[str, int]  # the attacker's own objects, for requests that need one


@pytest.fixture
def world(team: Team) -> World:
    workspace = team.workspace
    workspace.name = f"{MARKER} workspace"
    workspace.save()
    team.project.name = f"{MARKER} project"
    team.project.save()
    label = LabelFactory(workspace=workspace, name=f"{MARKER}-label")
    task = TaskFactory(
        project=team.project,
        title=f"{MARKER} task",
        created_by=team.member,
        assignee=team.member,
        labels=[label],
    )
    comment = CommentFactory(task=task, author=team.member, body=f"{MARKER} comment")
    invitation = commands.invitation_create(
        actor=team.owner, workspace=workspace, user_id=UserFactory().pk, role=Role.ADMIN
    )
    milestone = MilestoneFactory(project=team.project, name=f"{MARKER} milestone")
    attacker_project = ProjectFactory()
    MembershipFactory(workspace=attacker_project.workspace, user=team.outsider, role=Role.OWNER)
    attacker_task = TaskFactory(project=attacker_project, created_by=team.outsider)
    return World(
        team=team,
        ids={
            "workspace": workspace.pk,
            "project": team.project.pk,
            "label": label.pk,
            "task": task.pk,
            "comment": comment.pk,
            "milestone": milestone.pk,
            "user": team.member.pk,
            "invitation": invitation.pk,
        },
        own={"workspace": attacker_project.workspace_id, "task": attacker_task.pk},
    )


@dataclass(frozen=True)
class Probe:
    method: str
    path: str  # formatted with the victim's (or missing) ids and the attacker's `own_*` ids
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


AS_OF = "2100-01-01T00:00:00Z"

MATRIX: dict[str, Probe] = {
    # workspaces
    "workspace read": Probe("get", "/api/v1/workspaces/{workspace}/"),
    "workspace update": Probe("patch", "/api/v1/workspaces/{workspace}/", {"name": "x"}),
    "workspace delete": Probe("delete", "/api/v1/workspaces/{workspace}/"),
    "workspace transfer": Probe(
        "post", "/api/v1/workspaces/{workspace}/transfer/", {"user": "{attacker}"}
    ),
    # members
    "member list": Probe("get", "/api/v1/workspaces/{workspace}/members/"),
    "member add": Probe(
        "post", "/api/v1/workspaces/{workspace}/members/", {"user": "{attacker}", "role": "owner"}
    ),
    "member read": Probe("get", "/api/v1/workspaces/{workspace}/members/{user}/"),
    "member role": Probe(
        "patch", "/api/v1/workspaces/{workspace}/members/{user}/", {"role": "viewer"}
    ),
    "member remove": Probe("delete", "/api/v1/workspaces/{workspace}/members/{user}/"),
    # invitations: the workspace's (managers) and the victim's invitee's
    "invitation list": Probe("get", "/api/v1/workspaces/{workspace}/invitations/"),
    "invitation revoke": Probe(
        "delete", "/api/v1/workspaces/{workspace}/invitations/{invitation}/"
    ),
    "invitations received": Probe("get", "/api/v1/invitations/"),
    "invitation accept": Probe("post", "/api/v1/invitations/{invitation}/accept/"),
    "invitation decline": Probe("post", "/api/v1/invitations/{invitation}/decline/"),
    # audit
    "audit trail": Probe("get", "/api/v1/workspaces/{workspace}/audit/"),
    # projects
    "project read": Probe("get", "/api/v1/projects/{project}/"),
    "project update": Probe("patch", "/api/v1/projects/{project}/", {"name": "x"}),
    "project delete": Probe("delete", "/api/v1/projects/{project}/"),
    "project created in it": Probe(
        "post", "/api/v1/projects/", {"workspace": "{workspace}", "name": "x"}
    ),
    # labels
    "label read": Probe("get", "/api/v1/labels/{label}/"),
    "label update": Probe("patch", "/api/v1/labels/{label}/", {"name": "x"}),
    "label delete": Probe("delete", "/api/v1/labels/{label}/"),
    "label created in it": Probe(
        "post", "/api/v1/labels/", {"workspace": "{workspace}", "name": "x"}
    ),
    "label put on own task": Probe("patch", "/api/v1/tasks/{own_task}/", {"labels": ["{label}"]}),
    # tasks
    "task read": Probe("get", "/api/v1/tasks/{task}/"),
    "task read, If-None-Match": Probe(
        "get", "/api/v1/tasks/{task}/", headers={"If-None-Match": '"2"'}
    ),
    "task as_of": Probe("get", "/api/v1/tasks/{task}/?as_of=" + AS_OF),
    "task history": Probe("get", "/api/v1/tasks/{task}/history/"),
    "task update": Probe("patch", "/api/v1/tasks/{task}/", {"title": "x"}),
    "task update, If-Match": Probe(
        "patch", "/api/v1/tasks/{task}/", {"title": "x"}, {"If-Match": '"1"'}
    ),
    "task delete": Probe("delete", "/api/v1/tasks/{task}/"),
    "task created in its project": Probe(
        "post", "/api/v1/tasks/", {"project": "{project}", "title": "x"}
    ),
    # comments
    "comment list": Probe("get", "/api/v1/tasks/{task}/comments/"),
    "comment add": Probe("post", "/api/v1/tasks/{task}/comments/", {"body": "x"}),
    "comment read": Probe("get", "/api/v1/tasks/{task}/comments/{comment}/"),
    "comment edit": Probe("patch", "/api/v1/tasks/{task}/comments/{comment}/", {"body": "x"}),
    "comment delete": Probe("delete", "/api/v1/tasks/{task}/comments/{comment}/"),
    # milestones
    "milestone read": Probe("get", "/api/v1/milestones/{milestone}/"),
    "milestone update": Probe("patch", "/api/v1/milestones/{milestone}/", {"name": "x"}),
    "milestone delete": Probe("delete", "/api/v1/milestones/{milestone}/"),
    "milestone created in its project": Probe(
        "post",
        "/api/v1/milestones/",
        {"project": "{project}", "name": "x", "due_date": "2030-01-01"},
    ),
    # lists filtered on the victim's ids
    "tasks of its project": Probe("get", "/api/v1/tasks/?project={project}"),
    "tasks of its workspace": Probe("get", "/api/v1/tasks/?workspace={workspace}"),
    "tasks with its label": Probe("get", "/api/v1/tasks/?label={label}"),
    "tasks of its assignee": Probe("get", "/api/v1/tasks/?assignee={user}"),
    "projects of it": Probe("get", "/api/v1/projects/?workspace={workspace}"),
    "labels of it": Probe("get", "/api/v1/labels/?workspace={workspace}"),
    "milestones of its project": Probe("get", "/api/v1/milestones/?project={project}"),
}


def _fill(value: Any, ids: dict[str, int], world: World) -> Any:
    names = {**ids, "attacker": world.team.outsider.pk}
    names.update({f"own_{k}": v for k, v in world.own.items()})
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole:
            return names[whole.group(1)]
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(item, ids, world) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids, world) for key, item in value.items()}
    return value


def _send(client: Any, probe: Probe, ids: dict[str, int], world: World) -> Any:
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (probe.headers or {}).items()}
    send: Callable[..., Any] = getattr(client, probe.method)
    body = _fill(probe.body, ids, world) if probe.body is not None else None
    return send(_fill(probe.path, ids, world), body, format="json", **headers)


def _comparable(response: Any, ids: dict[str, int]) -> tuple[int, Any]:
    """The answer with the request's own ids masked, so that the victim's and the missing ids'
    answers can be compared (details may quote the id that was sent)."""
    text = response.content.decode()
    for value in sorted({str(v) for v in ids.values()}, key=len, reverse=True):
        text = re.sub(rf"\b{value}\b", "<id>", text)
    body = json.loads(text) if text else None
    if isinstance(body, dict) and "error" in body:
        body["error"].pop("request_id")
    return response.status_code, body


def _warm_the_victims_caches(world: World) -> dict[str, Any]:
    owner = client_for(world.team.owner)
    seen = {}
    for name, probe in MATRIX.items():
        if probe.method == "get" and "own_" not in probe.path:
            response = _send(owner, probe, world.ids, world)
            assert response.status_code in (200, 304), (name, response.content)
            seen[name] = response.content
    return seen


@pytest.mark.django_db
@requires_redis
@pytest.mark.usefixtures("no_throttles")
def test_an_outsider_gets_what_a_missing_id_gets(world: World) -> None:
    # Given the victim's workspace, read (and so cached) by its owner
    before = _warm_the_victims_caches(world)
    attacker = client_for(world.team.outsider)
    missing = dict.fromkeys(world.ids, MISSING)

    # When an outsider aims every probe at it, and at ids that do not exist
    failures = []
    for name, probe in MATRIX.items():
        aimed = _send(attacker, probe, world.ids, world)
        nothing = _send(attacker, probe, missing, world)

        # Then both answers are the same, and none carries the victim's data
        if aimed.status_code not in (200, 400, 404) or (
            aimed.status_code == 200 and probe.method != "get"
        ):
            failures.append(f"{name}: {aimed.status_code} {aimed.content[:200]!r}")
        elif _comparable(aimed, world.ids) != _comparable(nothing, missing):
            failures.append(f"{name}: {aimed.content[:200]!r} != {nothing.content[:200]!r}")
        elif MARKER in aimed.content.decode():
            failures.append(f"{name}: leaks {aimed.content[:200]!r}")
    assert failures == []
    # ... and the victim still sees exactly what they saw: nothing changed, nothing poisoned
    assert _warm_the_victims_caches(world) == before


# Operations that name no object of a workspace in their path.
_NO_WORKSPACE_OBJECT = re.compile(
    r"^(/api/v1/auth/.*|/api/v1/(workspaces|projects|labels|tasks|milestones)/)$"
)


@pytest.mark.django_db
def test_every_endpoint_of_the_schema_is_in_the_matrix(api_client: Any) -> None:
    """A new endpoint must be added to the matrix (unless its path names no workspace object)."""
    schema = api_client.get("/api/schema/?format=json").json()
    covered = {
        (probe.method, re.sub(r"\{[a-z_]+\}", "{}", probe.path.split("?")[0]))
        for probe in MATRIX.values()
    }
    uncovered = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if not _NO_WORKSPACE_OBJECT.match(path)
        and (method, re.sub(r"\{[a-z_]+\}", "{}", path)) not in covered
    ]
    assert uncovered == []


@pytest.mark.django_db(transaction=True)
def test_a_websocket_subscription_to_its_project_is_the_missing_projects_answer(
    world: World,
) -> None:
    async def scenario() -> None:
        communicator = await connected(world.team.outsider)
        aimed = await subscribe(communicator, world.ids["project"])
        nothing = await subscribe(communicator, MISSING)
        assert aimed == nothing == {"type": "error", "code": "forbidden"}
        await communicator.disconnect()

    run(scenario)


def test_the_as_of_instant_is_in_the_future() -> None:
    # The as_of probe must ask about a time at which the task exists, or 404 would be trivial.
    assert timezone.now().year < 2100
