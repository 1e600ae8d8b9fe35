"""Writes on users and their profiles."""

from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import sessions
from accounts.models import Profile

UserModel = get_user_model()


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    if UserModel.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    if UserModel.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with that email already exists."]})
    candidate = UserModel(username=username, email=email)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        raise ValidationError({"username": ["A user with that username already exists."]}) from None
    Profile.objects.create(user=candidate)
    return candidate


def profile_get(*, user: User) -> Profile:
    """The user's profile; users made outside registration (createsuperuser) get one now."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def user_update(*, user: Any, profile: dict[str, Any] | None = None, **changes: Any) -> User:
    email = changes.get("email")
    if email and UserModel.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": ["A user with that email already exists."]})
    changed = [field for field in ("email", "first_name", "last_name") if field in changes]
    for field in changed:
        setattr(user, field, changes[field])
    # Only these columns: the instance may come from the cache, and saving it whole would write
    # back a stale is_active, is_staff or is_superuser over a concurrent change.
    if changed:
        user.save(update_fields=changed)
    if profile:
        record = profile_get(user=user)
        for field, value in profile.items():
            setattr(record, field, value)
        record.save()
    return user


@transaction.atomic
def user_change_password(*, user: Any, old_password: str, new_password: str) -> None:
    """Changes the password and ends every session (accounts/sessions.py): every token issued
    before is refused from the commit on, and the user's sockets are closed."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is not correct."]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    user.set_password(new_password)
    setattr(user, sessions.HANDLED_ATTRIBUTE, True)
    user.save(update_fields=["password"])
    sessions.sessions_end(user_id=user.pk, reason=sessions.REASON_PASSWORD_CHANGED)


def user_logout_everywhere(*, user: User) -> None:
    """Ends every session of the user, on every device, this one included."""
    sessions.sessions_end(user_id=user.pk, reason=sessions.REASON_LOGGED_OUT)


def user_logout(*, user: User, refresh: str) -> None:
    """Blacklists the refresh token; it must be a valid one of this user."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise ValidationError({"refresh": [str(exc)]}) from None
    if str(token.get("user_id")) != str(user.pk):
        raise ValidationError({"refresh": ["Token is invalid or expired"]})
    token.blacklist()
