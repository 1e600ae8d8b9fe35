"""Sessions end however access ends: changes that bypass the account commands (the admin's
user form and password form, `manage.py changepassword`, a data fix that saves users) reach
these receivers, which only decide whether accounts.sessions must act.

The commands end sessions themselves and mark the user they save (sessions.HANDLED_ATTRIBUTE),
so nothing ends twice. QuerySet.update() sends no signal: a tool that deactivates users that
way calls accounts.sessions.sessions_end itself.

The cached principal (principals.py) is invalidated here too, after any change to a user row or
to one of the user's memberships.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import is_password_usable
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from accounts import sessions
from caching.write_through import in_command, principal_written
from workspaces.models import Membership

_ENDS = "_sessions_end_reason"


def _touches(update_fields: Any, field: str) -> bool:
    return update_fields is None or field in update_fields


def user_saving(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Notes whether the save ends the account's sessions: an active account saved inactive, or
    a usable password replaced (set_password() keeps the new raw password in `_password` until
    save() has finished). One query, only for such saves."""
    deactivating = not instance.is_active and _touches(update_fields, "is_active")
    new_password = getattr(instance, "_password", None) is not None
    if instance.pk is None or not (deactivating or new_password):
        return
    if getattr(instance, sessions.HANDLED_ATTRIBUTE, False):
        return
    before = sender._default_manager.filter(pk=instance.pk).values_list("is_active", "password")
    row = before.first()
    if row is None:
        return
    was_active, old_hash = row
    if deactivating and was_active:
        setattr(instance, _ENDS, sessions.REASON_DEACTIVATED)
    elif new_password and is_password_usable(old_hash) and old_hash:
        # An account that had no usable password had no session a password opened.
        setattr(instance, _ENDS, sessions.REASON_PASSWORD_CHANGED)


def user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    reason = getattr(instance, _ENDS, None)
    if reason is None:
        return
    delattr(instance, _ENDS)
    sessions.sessions_end(user_id=instance.pk, reason=reason)


def user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    user_id = instance.pk
    transaction.on_commit(
        lambda: sessions.notify(user_id, sessions.SESSION_ENDED, sessions.REASON_DELETED),
        robust=True,
    )


def membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """Commands publish MemberRemoved; a membership deleted by the admin, a bulk delete or a
    cascade publishes nothing, so the user's sockets are asked to check their subscriptions.
    Inside a command (workspace_delete's cascade) the command's own event says it better."""
    if in_command():
        return
    user_id = instance.user_id
    transaction.on_commit(
        lambda: sessions.notify(user_id, sessions.ACCESS_CHANGED, "membership_deleted"),
        robust=True,
    )


def principal_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user row or a membership was saved or deleted: the user's cached principal. Unlike the
    cached reads' receivers this one runs inside commands too: the commands leave principals to
    it."""
    user_id = instance.user_id if isinstance(instance, Membership) else instance.pk
    if user_id is not None:
        principal_written(user_id=user_id)


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(user_saving, sender=user_model, dispatch_uid="sessions-user-saving")
    post_save.connect(user_saved, sender=user_model, dispatch_uid="sessions-user-saved")
    post_delete.connect(user_deleted, sender=user_model, dispatch_uid="sessions-user-deleted")
    post_delete.connect(
        membership_deleted, sender=Membership, dispatch_uid="sessions-membership-deleted"
    )
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        for model in (user_model, Membership):
            signal.connect(
                principal_changed,
                sender=model,
                dispatch_uid=f"caching-principal-{model.__name__}-{name}",
            )
