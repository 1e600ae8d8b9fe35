"""Task views, counted by write-behind (caching/writebehind.py): how the flusher's counts reach
TaskViewStats. Registered with the mechanism in TasksConfig.ready()."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from caching import writebehind
from tasks.cache_keys import TASK_VIEWS
from tasks.models import TaskViewStats


def apply_views(views: dict[int, tuple[int, int]]) -> None:
    """Adds the counts to PostgreSQL (increments, so concurrent writers never lose one)."""
    with transaction.atomic():
        TaskViewStats.objects.bulk_create(
            [TaskViewStats(task_id=task_id) for task_id in views], ignore_conflicts=True
        )
        for task_id, (count, last_ms) in views.items():
            last_viewed = Value(datetime.fromtimestamp(last_ms / 1000, tz=UTC))
            TaskViewStats.objects.filter(task_id=task_id).update(
                view_count=F("view_count") + count,
                last_viewed_at=Greatest(Coalesce(F("last_viewed_at"), last_viewed), last_viewed),
            )


def register() -> None:
    writebehind.register(name=TASK_VIEWS, apply=apply_views)
