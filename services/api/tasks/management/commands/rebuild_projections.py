"""Rebuilds the task read models (tasks, their labels, comments) from the event log."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from eventstore.rebuild import IncompleteLog, rebuild
from tasks.models import Comment, Task
from tasks.projection import PROJECTION_NAME, project


def clear_task_read_models() -> None:
    Comment.objects.all().delete()
    Task.labels.through.objects.all().delete()
    Task.objects.all().delete()


class Command(BaseCommand):
    help = "Empty the task read models and replay every event into them, in one transaction."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = rebuild(
                name=PROJECTION_NAME,
                clear=clear_task_read_models,
                project=project,
                models=[Task, Comment],
            )
        except IncompleteLog as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Replayed {count} events: {Task.objects.count()} tasks, "
            f"{Comment.objects.count()} comments."
        )
