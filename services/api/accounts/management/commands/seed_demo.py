"""Loads a small demo data set with a known login. Safe to run twice: it changes nothing then."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.commands import user_register
from tasks.commands import task_comment, task_create
from tasks.models import TaskPriority, TaskStatus
from workspaces.commands import label_create, member_add, project_create, workspace_create
from workspaces.models import Role

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - a documented, public demo login  # nosec B105
TEAMMATE_USERNAME = "teammate"


class Command(BaseCommand):
    help = "Create the demo user, a workspace with two projects, labels, tasks and comments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Create the demo login even where DEMO_DATA_ALLOWED is off (production settings).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEMO_DATA_ALLOWED or options["allow_production"]):
            raise CommandError(
                f"Refusing to create the demo login ({DEMO_USERNAME} / its published password) "
                "under these settings: anyone could sign in with it. Register a real account "
                "instead, or pass --allow-production on a throwaway stack."
            )
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write("Demo data already present.")
            return
        demo = user_register(
            username=DEMO_USERNAME, email="demo@example.com", password=DEMO_PASSWORD
        )
        teammate = user_register(
            username=TEAMMATE_USERNAME, email="teammate@example.com", password=DEMO_PASSWORD
        )
        workspace = workspace_create(actor=demo, name="Demo workspace", description="Try me.")
        member_add(actor=demo, workspace=workspace, user=teammate, role=Role.MEMBER)
        labels = [
            label_create(actor=demo, workspace=workspace, name=name, color=color)
            for name, color in (("bug", "#dc2626"), ("feature", "#2563eb"), ("chore", "#6b7280"))
        ]
        statuses = list(TaskStatus)
        priorities = list(TaskPriority)
        for p, project_name in enumerate(("Website", "Mobile app")):
            project = project_create(actor=demo, workspace=workspace, name=project_name)
            for n in range(15):
                task = task_create(
                    actor=demo if n % 2 == 0 else teammate,
                    project=project,
                    title=f"{project_name} task {n + 1}",
                    description=f"Demo task {n + 1} of {project_name}.",
                    status=statuses[n % len(statuses)],
                    priority=priorities[(n + p) % len(priorities)],
                    assignee=teammate if n % 3 == 0 else demo,
                    labels=[labels[n % len(labels)]],
                )
                if n % 5 == 0:
                    task_comment(actor=teammate, task=task, body="Looking into it.")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data created. Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}.")
        )
