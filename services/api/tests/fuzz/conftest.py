"""The world the fuzzer runs in: a user who owns a workspace with a project, tasks, labels, a
comment and a second member, with throttles out of the way (they are tested on their own)."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Role

# Examples per operation and per phase: small in the normal suite, larger through `make fuzz`.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@dataclass
class FuzzWorld:
    """The ids an authenticated fuzz case may hit, by the name of the path parameter."""

    token: str
    ids: dict[str, list[int]]


@pytest.fixture
def no_throttles() -> Iterator[None]:
    config = {**settings.REST_FRAMEWORK}
    config["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(
        config["DEFAULT_THROTTLE_RATES"], "1000000/minute"
    )
    with override_settings(REST_FRAMEWORK=config):
        yield


@pytest.fixture
def in_process_wsgi() -> Iterator[None]:
    """Requests sent straight to the WSGI application share the test's connection and its
    transaction, as Django's test client arranges: nothing may close the connection at the start
    or end of a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db: None, no_throttles: None, in_process_wsgi: None) -> FuzzWorld:
    owner = UserFactory()
    workspace = WorkspaceFactory(created_by=owner)
    MembershipFactory(workspace=workspace, user=owner, role=Role.OWNER)
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    project = ProjectFactory(workspace=workspace, created_by=owner)
    labels = [LabelFactory(workspace=workspace) for _ in range(2)]
    tasks = [
        TaskFactory(project=project, created_by=owner, labels=labels, assignee=member),
        TaskFactory(project=project, created_by=owner),
    ]
    comment = CommentFactory(task=tasks[0], author=owner)
    token = str(RefreshToken.for_user(owner).access_token)
    ids: dict[str, Any] = {
        "workspaces": [workspace.pk],
        "projects": [project.pk],
        "labels": [label.pk for label in labels],
        "tasks": [task.pk for task in tasks],
        "comment_id": [comment.pk],
        "user_id": [owner.pk, member.pk],
    }
    return FuzzWorld(token=token, ids=ids)
