"""Invalidation for milestone lists changed without a milestone command: an admin edit, a bulk
tool or a test factory, and the cascade that deletes a project's milestones with the project (or
its workspace). No business rule lives here: a receiver only names what a change invalidates.

The milestone commands invalidate explicitly, and the milestone receivers stand down inside them
(`command_writes()`). The project receiver never does: the commands that delete or change a
project belong to the workspaces app, which knows nothing of milestones.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from caching.write_through import in_command
from milestones.models import Milestone
from milestones.reads import milestones_changed
from workspaces.models import Project


def milestone_changed(sender: Any, instance: Milestone, **kwargs: Any) -> None:
    if not in_command():
        milestones_changed(project_ids=[instance.project_id])


def project_changed(sender: Any, instance: Project, **kwargs: Any) -> None:
    """Deleted (its milestones went with it) or saved (the admin may move it to another
    workspace, which changes who sees its milestones)."""
    milestones_changed(project_ids=[instance.pk])


def connect() -> None:
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(milestone_changed, sender=Milestone, dispatch_uid=f"milestones-{name}")
        signal.connect(project_changed, sender=Project, dispatch_uid=f"milestones-project-{name}")
