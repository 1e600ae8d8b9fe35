"""Writes on workspaces, memberships, invitations, projects and labels, each in one transaction."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from workspaces import events, write_through
from workspaces.access import access_can_grant, access_require_role
from workspaces.models import Invitation, Label, Membership, Project, Role, Workspace
from workspaces.queries import invitation_list, invitations_received, shares_a_workspace


@transaction.atomic
@write_through.command_writes()
def workspace_create(*, actor: User, name: str, description: str = "") -> Workspace:
    workspace = Workspace.objects.create(name=name, description=description, created_by=actor)
    Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    _record(actor, workspace.pk, f"workspace-{workspace.pk}", events.WORKSPACE_CREATED, name=name)
    write_through.workspace_written(workspace_id=workspace.pk)
    return workspace


def _record(actor: User, workspace_id: int, stream: str, event_type: str, **data: Any) -> None:
    events.record(
        actor=actor, workspace_id=workspace_id, stream=stream, event_type=event_type, data=data
    )


def _changed(instance: Any, changes: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Applies the changes to the instance; returns those that differ from what it had."""
    changed = {}
    for field in fields:
        if field in changes and getattr(instance, field) != changes[field]:
            changed[field] = changes[field]
            setattr(instance, field, changes[field])
    return changed


@transaction.atomic
@write_through.command_writes()
def workspace_update(*, actor: User, workspace: Workspace, **changes: Any) -> Workspace:
    access_require_role(actor, workspace.pk, Role.ADMIN)
    _lock_workspace(workspace.pk)
    changed = _changed(workspace, changes, ("name", "description"))
    if changed:
        workspace.save()
        stream = f"workspace-{workspace.pk}"
        _record(actor, workspace.pk, stream, events.WORKSPACE_UPDATED, **changed)
        write_through.workspace_written(workspace_id=workspace.pk)
    return workspace


@transaction.atomic
@write_through.command_writes()
def workspace_delete(*, actor: User, workspace: Workspace) -> None:
    access_require_role(actor, workspace.pk, Role.OWNER)
    stream = f"workspace-{workspace.pk}"
    # Appending WorkspaceDeleted also deletes the tasks of its projects (tasks/reactions.py).
    _record(actor, workspace.pk, stream, events.WORKSPACE_DELETED, name=workspace.name)
    project_ids = list(workspace.projects.values_list("id", flat=True))
    write_through.workspace_deleted(workspace_id=workspace.pk, project_ids=project_ids)
    workspace.delete()


def _lock_workspace(workspace_id: int) -> None:
    """Serialises membership changes of one workspace: the one-owner invariant is checked by
    counting owners, which is only safe while no concurrent change can commit in between."""
    Workspace.objects.select_for_update().filter(pk=workspace_id).first()


def _owner_count(workspace_id: int) -> int:
    return Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).count()


def _require_grant(actor: User, workspace_id: int, role: Role) -> None:
    actor_role = access_require_role(actor, workspace_id, Role.ADMIN)
    if not access_can_grant(actor_role, role):
        raise PermissionDenied("Only owners may grant the owner role.")


@transaction.atomic
def member_add(*, actor: User, workspace: Workspace, user: User, role: Role) -> Membership:
    _require_grant(actor, workspace.pk, role)
    _lock_workspace(workspace.pk)
    return _member_add_checked(actor=actor, workspace=workspace, user=user, role=role)


@transaction.atomic
def member_add_or_invite(
    *, actor: User, workspace: Workspace, user_id: int, role: Role
) -> Membership | Invitation:
    """The member add of the API, which must not reveal accounts. A user who already shares a
    workspace with the actor (whose name the actor already sees in a member list) is added at
    once; any other id, whether an account has it or not, gets an invitation, recorded with the
    same statements either way, and only that account (if any) can accept it."""
    _require_grant(actor, workspace.pk, role)
    _lock_workspace(workspace.pk)
    if shares_a_workspace(user=actor, other_user_id=user_id):
        user = get_user_model().objects.get(pk=user_id)
        return _member_add_checked(actor=actor, workspace=workspace, user=user, role=role)
    return _invitation_create_checked(actor=actor, workspace=workspace, user_id=user_id, role=role)


@transaction.atomic
def invitation_create(*, actor: User, workspace: Workspace, user_id: int, role: Role) -> Invitation:
    """Invites whoever has the id (possibly nobody); inviting the same id again renews the
    invitation with the new role."""
    _require_grant(actor, workspace.pk, role)
    _lock_workspace(workspace.pk)
    return _invitation_create_checked(actor=actor, workspace=workspace, user_id=user_id, role=role)


# The *_checked writes below run inside a command that checked the actor's right and holds the
# workspace's lock.


def _member_add_checked(*, actor: User, workspace: Workspace, user: User, role: Role) -> Membership:
    # Added directly: an invitation still open for them would only offer what they have.
    Invitation.objects.filter(workspace=workspace, invitee_id=user.pk).delete()
    return _membership_create(actor=actor, workspace=workspace, user=user, role=role)


def _membership_create(*, actor: User, workspace: Workspace, user: User, role: Role) -> Membership:
    try:
        with transaction.atomic():
            membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    except IntegrityError:
        raise ValidationError({"user": ["This user is already a member."]}) from None
    stream = f"workspace-{workspace.pk}"
    _record(actor, workspace.pk, stream, events.MEMBER_ADDED, user_id=user.pk, role=str(role))
    return membership


def _invitation_create_checked(
    *, actor: User, workspace: Workspace, user_id: int, role: Role
) -> Invitation:
    now = timezone.now()
    # Expired invitations of the workspace go here, so invitations to ids nobody accepts do
    # not pile up.
    Invitation.objects.filter(workspace=workspace, expires_at__lte=now).delete()
    invitation, _ = Invitation.objects.update_or_create(
        workspace=workspace,
        invitee_id=user_id,
        defaults={
            "role": role,
            "invited_by": actor,
            "invited_at": now,
            "expires_at": now + timedelta(days=settings.INVITATION_TTL_DAYS),
        },
    )
    _record_invitation(actor, invitation, events.INVITATION_CREATED)
    return invitation


def _record_invitation(actor: User, invitation: Invitation, event_type: str) -> None:
    events.record(
        actor=actor,
        workspace_id=invitation.workspace_id,
        stream=f"invitation-{invitation.pk}",
        event_type=event_type,
        data={"user_id": invitation.invitee_id, "role": str(invitation.role)},
        group=events.invitation_group(invitation.workspace_id),
    )


def _pending(invitation: Invitation, queryset: QuerySet[Invitation]) -> Invitation:
    """The invitation, locked, if it is still open in `queryset`; else 404 (it was accepted,
    declined, revoked or has expired, or it was never the caller's)."""
    _lock_workspace(invitation.workspace_id)
    current = queryset.select_for_update(of=("self",)).filter(pk=invitation.pk).first()
    if current is None:
        raise Http404("No such invitation.")
    return current


@transaction.atomic
def invitation_accept(*, actor: User, invitation: Invitation) -> Membership:
    """The invitee becomes a member with the invited role, through the ordinary membership
    write (MemberAdded, cache invalidation and live updates as for any addition)."""
    invitation = _pending(invitation, invitations_received(user=actor))
    _record_invitation(actor, invitation, events.INVITATION_ACCEPTED)
    invitation.delete()
    return _membership_create(
        actor=actor, workspace=invitation.workspace, user=actor, role=Role(invitation.role)
    )


@transaction.atomic
def invitation_decline(*, actor: User, invitation: Invitation) -> None:
    invitation = _pending(invitation, invitations_received(user=actor))
    _record_invitation(actor, invitation, events.INVITATION_DECLINED)
    invitation.delete()


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    """Managers withdraw an open invitation; admins only those of roles they may grant."""
    _require_grant(actor, invitation.workspace_id, Role(invitation.role))
    invitation = _pending(invitation, invitation_list(workspace_id=invitation.workspace_id))
    _record_invitation(actor, invitation, events.INVITATION_REVOKED)
    invitation.delete()


@transaction.atomic
def member_change_role(*, actor: User, membership: Membership, role: Role) -> Membership:
    actor_role = access_require_role(actor, membership.workspace_id, Role.ADMIN)
    _lock_workspace(membership.workspace_id)
    membership = Membership.objects.get(pk=membership.pk)
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
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    if previous != role:
        _record(
            actor,
            membership.workspace_id,
            f"workspace-{membership.workspace_id}",
            events.MEMBER_ROLE_CHANGED,
            user_id=membership.user_id,
            role=str(role),
            previous_role=previous,
        )
    return membership


@transaction.atomic
def member_remove(*, actor: User, membership: Membership) -> None:
    """Admins remove members; anyone may leave. Owners are removed only by owners."""
    _lock_workspace(membership.workspace_id)
    current = Membership.objects.filter(pk=membership.pk).first()
    if current is None:
        raise Http404("No such member.")
    membership = current
    leaving = membership.user_id == actor.pk
    if not leaving:
        actor_role = access_require_role(actor, membership.workspace_id, Role.ADMIN)
        if not access_can_grant(actor_role, Role(membership.role)):
            raise PermissionDenied("Only owners may remove an owner.")
    if membership.role == Role.OWNER and _owner_count(membership.workspace_id) == 1:
        raise ValidationError({"user": ["A workspace keeps at least one owner."]})
    _record(
        actor,
        membership.workspace_id,
        f"workspace-{membership.workspace_id}",
        events.MEMBER_REMOVED,
        user_id=membership.user_id,
        role=membership.role,
    )
    membership.delete()


@transaction.atomic
def workspace_transfer(*, actor: User, workspace: Workspace, new_owner: User) -> Membership:
    """Hands ownership to another member; the previous owner stays on as an admin."""
    access_require_role(actor, workspace.pk, Role.OWNER)
    _lock_workspace(workspace.pk)
    if new_owner.pk == actor.pk:
        raise ValidationError({"user": ["You already own this workspace."]})
    target = (
        Membership.objects.select_for_update().filter(workspace=workspace, user=new_owner).first()
    )
    if target is None:
        raise ValidationError({"user": ["The new owner must already be a member."]})
    target.role = Role.OWNER
    target.save(update_fields=["role", "updated_at"])
    # save(), not update(): the signal it sends invalidates the previous owner's cached roles.
    previous = Membership.objects.select_for_update().get(workspace=workspace, user=actor)
    previous.role = Role.ADMIN
    previous.save(update_fields=["role", "updated_at"])
    stream = f"workspace-{workspace.pk}"
    _record(actor, workspace.pk, stream, events.WORKSPACE_TRANSFERRED, new_owner_id=new_owner.pk)
    return target


@transaction.atomic
@write_through.command_writes()
def project_create(
    *, actor: User, workspace: Workspace, name: str, description: str = ""
) -> Project:
    access_require_role(actor, workspace.pk, Role.ADMIN)
    project = Project.objects.create(
        workspace=workspace, name=name, description=description, created_by=actor
    )
    stream = events.project_stream(project.pk)
    _record(actor, workspace.pk, stream, events.PROJECT_CREATED, id=project.pk, name=name)
    write_through.project_written(project_id=project.pk, workspace_id=workspace.pk)
    return project


@transaction.atomic
@write_through.command_writes()
def project_update(*, actor: User, project: Project, **changes: Any) -> Project:
    access_require_role(actor, project.workspace_id, Role.ADMIN)
    changed = _changed(project, changes, ("name", "description"))
    if changed:
        project.save()
        stream = events.project_stream(project.pk)
        _record(actor, project.workspace_id, stream, events.PROJECT_UPDATED, **changed)
        write_through.project_written(project_id=project.pk, workspace_id=project.workspace_id)
    return project


@transaction.atomic
@write_through.command_writes()
def project_delete(*, actor: User, project: Project) -> None:
    access_require_role(actor, project.workspace_id, Role.ADMIN)
    stream = events.project_stream(project.pk)
    # Appending ProjectDeleted also deletes the project's tasks (tasks/reactions.py).
    _record(actor, project.workspace_id, stream, events.PROJECT_DELETED, name=project.name)
    write_through.project_deleted(project_id=project.pk, workspace_id=project.workspace_id)
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
def label_create(*, actor: User, workspace: Workspace, name: str, color: str = "#6b7280") -> Label:
    access_require_role(actor, workspace.pk, Role.ADMIN)
    label = Label(workspace=workspace, name=name, color=color)
    _unique_label(label.save)
    stream = f"label-{label.pk}"
    _record(actor, workspace.pk, stream, events.LABEL_CREATED, id=label.pk, name=name, color=color)
    return label


@transaction.atomic
def label_update(*, actor: User, label: Label, **changes: Any) -> Label:
    access_require_role(actor, label.workspace_id, Role.ADMIN)
    changed = _changed(label, changes, ("name", "color"))
    if changed:
        _unique_label(label.save)
        _record(actor, label.workspace_id, f"label-{label.pk}", events.LABEL_UPDATED, **changed)
    return label


@transaction.atomic
@write_through.command_writes()
def label_delete(*, actor: User, label: Label) -> None:
    access_require_role(actor, label.workspace_id, Role.ADMIN)
    _record(actor, label.workspace_id, f"label-{label.pk}", events.LABEL_DELETED, name=label.name)
    write_through.label_deleting(label_id=label.pk)
    label.delete()
