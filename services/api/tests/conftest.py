"""Fixtures shared by every layer of the suite."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import MembershipFactory, ProjectFactory, UserFactory, WorkspaceFactory
from workspaces.models import Project, Role, Workspace


def redis_available() -> bool:
    return bool(settings.REDIS_URL)


# `make test-embedded` forces the embedded defaults although the servers answer: say which.
_WHY = "the embedded defaults are forced" if getattr(settings, "EMBEDDED", False) else "unreachable"
requires_redis = pytest.mark.skipif(not redis_available(), reason=f"needs Redis ({_WHY})")
requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=f"needs PostgreSQL ({_WHY})",
)


@pytest.fixture(autouse=True)
def _clean_caches() -> None:
    """Each test starts with empty caches and throttle buckets (Redis keeps them otherwise)."""
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def make_client() -> Callable[[Any], APIClient]:
    return client_for


@dataclass
class Team:
    """A workspace with one user per role, an outsider, and a project."""

    workspace: Workspace
    project: Project
    owner: Any
    admin: Any
    member: Any
    viewer: Any
    outsider: Any

    def user(self, role: str) -> Any:
        return getattr(self, role)

    def client(self, role: str) -> APIClient:
        return client_for(self.user(role))


@pytest.fixture
def team(db: None) -> Team:
    workspace = WorkspaceFactory()
    users = {}
    for role in (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER):
        users[role.value] = MembershipFactory(workspace=workspace, role=role).user
    project = ProjectFactory(workspace=workspace)
    return Team(
        workspace=workspace,
        project=project,
        outsider=UserFactory(),
        **users,
    )


ROLES = ["owner", "admin", "member", "viewer"]
