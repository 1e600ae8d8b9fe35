"""Writes on workspaces, memberships, projects and labels. Each runs in one transaction."""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from access.checks import access_can_grant, access_require_role
from workspaces.models import Label, Membership, Project, Role, Workspace


@transaction.atomic
def workspace_create(*, actor: User, name: str, description: str = "") -> Workspace:
    workspace = Workspace.objects.create(name=name, description=description, created_by=actor)
    Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    return workspace


@transaction.atomic
def workspace_update(*, actor: User, workspace: Workspace, **changes: Any) -> Workspace:
    access_require_role(actor, workspace.pk, Role.ADMIN)
    for field in ("name", "description"):
        if field in changes:
            setattr(workspace, field, changes[field])
    workspace.save()
    return workspace


@transaction.atomic
def workspace_delete(*, actor: User, workspace: Workspace) -> None:
    access_require_role(actor, workspace.pk, Role.OWNER)
    workspace.delete()


def _owner_count(workspace_id: int) -> int:
    return Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).count()


@transaction.atomic
def member_add(
    *, actor: User, workspace: Workspace, user: User, role: Role
) -> Membership:
    actor_role = access_require_role(actor, workspace.pk, Role.ADMIN)
    if not access_can_grant(actor_role, role):
        raise PermissionDenied("Only owners may grant the owner role.")
    try:
        with transaction.atomic():
            return Membership.objects.create(workspace=workspace, user=user, role=role)
    except IntegrityError:
        raise ValidationError({"user": ["This user is already a member."]}) from None


@transaction.atomic
def member_change_role(
    *, actor: User, membership: Membership, role: Role
) -> Membership:
    actor_role = access_require_role(actor, membership.workspace_id, Role.ADMIN)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not (
        access_can_grant(actor_role, role) and access_can_grant(actor_role, Role(membership.role))
    ):
        raise PermissionDenied("Only owners may grant or take away the owner role.")
    if (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and _owner_count(membership.workspace_id) == 1
    ):
        raise ValidationError({"role": ["A workspace keeps at least one owner."]})
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def member_remove(*, actor: User, membership: Membership) -> None:
    """Admins remove members; anyone may leave. Owners are removed only by owners."""
    leaving = membership.user_id == actor.pk
    if not leaving:
        actor_role = access_require_role(actor, membership.workspace_id, Role.ADMIN)
        if not access_can_grant(actor_role, Role(membership.role)):
            raise PermissionDenied("Only owners may remove an owner.")
    if membership.role == Role.OWNER and _owner_count(membership.workspace_id) == 1:
        raise ValidationError({"user": ["A workspace keeps at least one owner."]})
    membership.delete()


@transaction.atomic
def workspace_transfer(
    *, actor: User, workspace: Workspace, new_owner: User
) -> Membership:
    """Hands ownership to another member; the previous owner stays on as an admin."""
    access_require_role(actor, workspace.pk, Role.OWNER)
    if new_owner.pk == actor.pk:
        raise ValidationError({"user": ["You already own this workspace."]})
    target = (
        Membership.objects.select_for_update().filter(workspace=workspace, user=new_owner).first()
    )
    if target is None:
        raise ValidationError({"user": ["The new owner must already be a member."]})
    target.role = Role.OWNER
    target.save(update_fields=["role", "updated_at"])
    Membership.objects.filter(workspace=workspace, user=actor).update(role=Role.ADMIN)
    return target


@transaction.atomic
def project_create(
    *, actor: User, workspace: Workspace, name: str, description: str = ""
) -> Project:
    access_require_role(actor, workspace.pk, Role.ADMIN)
    return Project.objects.create(
        workspace=workspace, name=name, description=description, created_by=actor
    )


@transaction.atomic
def project_update(*, actor: User, project: Project, **changes: Any) -> Project:
    access_require_role(actor, project.workspace_id, Role.ADMIN)
    for field in ("name", "description"):
        if field in changes:
            setattr(project, field, changes[field])
    project.save()
    return project


@transaction.atomic
def project_delete(*, actor: User, project: Project) -> None:
    access_require_role(actor, project.workspace_id, Role.ADMIN)
    project.delete()


def _unique_label(save: Any) -> None:
    try:
        with transaction.atomic():
            save()
    except IntegrityError:
        raise ValidationError(
            {"name": ["A label with this name exists in the workspace."]}
        ) from None


@transaction.atomic
def label_create(
    *, actor: User, workspace: Workspace, name: str, color: str = "#6b7280"
) -> Label:
    access_require_role(actor, workspace.pk, Role.ADMIN)
    label = Label(workspace=workspace, name=name, color=color)
    _unique_label(label.save)
    return label


@transaction.atomic
def label_update(*, actor: User, label: Label, **changes: Any) -> Label:
    access_require_role(actor, label.workspace_id, Role.ADMIN)
    for field in ("name", "color"):
        if field in changes:
            setattr(label, field, changes[field])
    _unique_label(label.save)
    return label


@transaction.atomic
def label_delete(*, actor: User, label: Label) -> None:
    access_require_role(actor, label.workspace_id, Role.ADMIN)
    label.delete()
