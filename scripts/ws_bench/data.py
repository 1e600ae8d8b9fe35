"""The benchmark's database and data: one workspace and project, its tasks, a writer and the
viewer accounts the sockets sign in as."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass

from ws_bench.config import API_DIR, REALTIME_DIR, TASKS, bench_environment


def prepare_database(args: argparse.Namespace) -> None:
    """Creates the bench database when missing and migrates it."""
    import psycopg

    name = args.database_url.rsplit("/", 1)[1]
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=API_DIR,
        env={**os.environ, **bench_environment(args)},
        check=True,
        timeout=600,
    )
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()


@dataclass
class World:
    project: int
    tasks: list[int]
    writer_token: str
    reader_tokens: list[str]


def seed(args: argparse.Namespace, readers: int) -> World:
    """One workspace and project, TASKS tasks, a writer and `readers` viewer accounts, each with
    an access token minted the way the API mints them."""
    os.environ.update(bench_environment(args))
    sys.path[:0] = [str(API_DIR), str(REALTIME_DIR)]
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from tasks import commands as task_commands
    from workspaces import commands as workspace_commands
    from workspaces.models import Membership, Role

    user_model = get_user_model()
    run = secrets.token_hex(4)
    writer = user_model.objects.create_user(f"bench-writer-{run}", password=None)
    workspace = workspace_commands.workspace_create(actor=writer, name=f"bench {run}")
    project = workspace_commands.project_create(actor=writer, workspace=workspace, name="bench")
    tasks = [
        task_commands.task_create(actor=writer, project=project, title=f"task {n}").pk
        for n in range(TASKS)
    ]
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"bench-{run}-{n}", password=make_password(None))
            for n in range(readers)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(workspace=workspace, user=user, role=Role.VIEWER) for user in users]
    )
    return World(
        project=project.pk,
        tasks=tasks,
        writer_token=str(AccessToken.for_user(writer)),
        reader_tokens=[str(AccessToken.for_user(user)) for user in users],
    )
