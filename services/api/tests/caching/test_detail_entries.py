"""The project and workspace detail entries (workspaces/representations.py): a workspace's answer
is written from its entry with the reader's role put in, not rendered; here it is compared with
what the serializer and DRF's renderer make of the same workspace for the same reader."""

from __future__ import annotations

from typing import Any

import pytest
from drf_orjson_renderer.renderers import ORJSONRenderer

from caching.stored import StoredResponse, etag_for_body
from tests.conftest import ROLES
from tests.factories import WorkspaceFactory
from workspaces import representations
from workspaces.serializers import ProjectSerializer, WorkspaceSerializer

pytestmark = pytest.mark.django_db

DESCRIPTIONS = [
    "",
    'quotes "role":"owner", a backslash \\, a newline\n and ünïcödé ✓',
    "x" * 2000,
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("description", DESCRIPTIONS)
def test_a_workspace_answer_is_what_the_serializer_renders_for_the_reader(
    role: str, description: str
) -> None:
    workspace = WorkspaceFactory(name='The "Team"', description=description)
    workspace.my_role = role  # what the view's queryset annotates for its reader
    expected = ORJSONRenderer().render(WorkspaceSerializer(workspace).data)

    entry = StoredResponse.unpack(representations.render_workspace(workspace.pk))
    answered = representations.with_role(entry, role)

    assert answered is not None
    assert answered.body == expected
    assert answered.etag == etag_for_body(expected)


def test_the_role_is_not_in_the_shared_entry() -> None:
    workspace = WorkspaceFactory()
    entry = StoredResponse.unpack(representations.render_workspace(workspace.pk))
    assert entry is not None
    assert b'"role"' not in entry.body


@pytest.mark.parametrize("description", DESCRIPTIONS)
def test_a_project_answer_is_what_the_serializer_renders(team: Any, description: str) -> None:
    team.project.description = description
    team.project.save()
    expected = ORJSONRenderer().render(ProjectSerializer(team.project).data)

    entry = StoredResponse.unpack(representations.render_project(team.project.pk))

    assert entry is not None
    assert entry.body == expected
    assert entry.meta == {"workspace": team.workspace.pk}


@pytest.mark.parametrize(
    "entry",
    [
        None,
        StoredResponse(etag='"x"', body=b'{"id":1}'),  # no place for the role
        StoredResponse(etag='"x"', body=b'{"id":1}', meta={"role_at": 99}),  # out of the body
        StoredResponse(etag='"x"', body=b'{"id":1}', meta={"role_at": "7"}),
    ],
)
def test_an_entry_of_another_shape_makes_no_answer(entry: StoredResponse | None) -> None:
    assert representations.with_role(entry, "owner") is None
