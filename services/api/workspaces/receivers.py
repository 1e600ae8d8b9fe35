"""Invalidation of the workspaces' and projects' cached reads for changes that bypass their
commands (admin edits, bulk tools, data fixes, factories). caching/signals.py explains the
batching and the stand-down inside commands; connected in WorkspacesConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from caching.signals import invalidate, receiving
from workspaces.cache_keys import project_generations, workspace_generations
from workspaces.models import Project, Workspace


def project_saving(sender: Any, instance: Project, **kwargs: Any) -> None:
    """Remembers the workspace a project is moved away from (admin only; the API cannot)."""
    if not receiving() or instance.pk is None:
        return
    instance._caching_previous_workspace_id = (  # type: ignore[attr-defined]
        Project.objects.filter(pk=instance.pk).values_list("workspace_id", flat=True).first()
    )


def project_changed(sender: Any, instance: Project, **kwargs: Any) -> None:
    workspaces = {instance.workspace_id}
    previous = getattr(instance, "_caching_previous_workspace_id", None)
    if previous is not None:
        workspaces.add(previous)
    invalidate(project_generations(project_id=instance.pk, workspace_ids=workspaces))


def workspace_changed(sender: Any, instance: Workspace, **kwargs: Any) -> None:
    invalidate(workspace_generations(workspace_id=instance.pk))


def connect() -> None:
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(project_changed, sender=Project, dispatch_uid=f"caching-project-{name}")
        signal.connect(
            workspace_changed, sender=Workspace, dispatch_uid=f"caching-workspace-{name}"
        )
    pre_save.connect(project_saving, sender=Project, dispatch_uid="caching-project-moving")
