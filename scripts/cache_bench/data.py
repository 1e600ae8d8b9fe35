"""The benchmark's data: users, workspaces, projects, labels and tasks written through the
commands in the scratch database, and the users' access tokens."""

from __future__ import annotations

import argparse
import random
import secrets
from dataclasses import dataclass, field
from typing import Any


@dataclass
class World:
    """What the clients may touch: users with their tokens, and what each can see."""

    users: list[dict[str, Any]] = field(default_factory=list)


def seed(args: argparse.Namespace) -> World:
    """Users, workspaces, projects, labels and tasks, written through the commands."""
    from django.contrib.auth.models import User

    from tasks.commands import task_create
    from workspaces.commands import label_create, member_add, project_create, workspace_create
    from workspaces.models import Role

    rng = random.Random(args.seed)  # noqa: S311 - a reproducible load, not a secret  # nosec B311
    world = World()
    users: dict[int, dict[str, Any]] = {}
    roles = [Role.ADMIN, Role.MEMBER, Role.MEMBER, Role.VIEWER]
    for w in range(args.workspaces):
        owner = User.objects.create_user(f"bench-owner-{w}", password=secrets.token_hex(16))
        workspace = workspace_create(actor=owner, name=f"Workspace {w}")
        members = [owner]
        for u in range(args.users_per_workspace - 1):
            user = User.objects.create_user(f"bench-{w}-{u}", password=secrets.token_hex(16))
            member_add(actor=owner, workspace=workspace, user=user, role=roles[u % len(roles)])
            members.append(user)
        labels = [
            label_create(actor=owner, workspace=workspace, name=f"label-{n}") for n in range(5)
        ]
        project_ids = []
        task_ids = []
        for p in range(args.projects_per_workspace):
            project = project_create(actor=owner, workspace=workspace, name=f"Project {w}.{p}")
            project_ids.append(project.pk)
            for t in range(args.tasks_per_project):
                task = task_create(
                    actor=owner,
                    project=project,
                    title=f"Task {w}.{p}.{t}",
                    description="Seeded for the cache benchmark. " * 4,
                    priority=rng.choice([1, 2, 3, 4]),
                    labels=rng.sample(labels, rng.randint(0, 2)),
                )
                task_ids.append((task.pk, project.pk))
        for index, user in enumerate(members):
            users[user.pk] = {
                "id": user.pk,
                # owners, admins and members write; viewers only read
                "writes": index == 0 or roles[(index - 1) % len(roles)] != Role.VIEWER,
                "workspace": workspace.pk,
                "projects": project_ids,
                "tasks": task_ids,
            }
    world.users = list(users.values())
    return world


def tokens(world: World) -> None:
    from django.contrib.auth.models import User
    from rest_framework_simplejwt.tokens import RefreshToken

    for user in world.users:
        user["token"] = str(RefreshToken.for_user(User.objects.get(pk=user["id"])).access_token)
