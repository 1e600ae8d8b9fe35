"""Writes on users and their profiles."""

from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

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
    for field in ("email", "first_name", "last_name"):
        if field in changes:
            setattr(user, field, changes[field])
    user.save()
    if profile:
        record = profile_get(user=user)
        for field, value in profile.items():
            setattr(record, field, value)
        record.save()
    return user


def _blacklist_all_refresh_tokens(user: User) -> int:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    tokens = list(outstanding)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(tokens)


@transaction.atomic
def user_change_password(*, user: Any, old_password: str, new_password: str) -> None:
    """Changes the password and ends every session: all refresh tokens are blacklisted."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is not correct."]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _blacklist_all_refresh_tokens(user)


def user_logout(*, user: User, refresh: str) -> None:
    """Blacklists the refresh token; it must be a valid one of this user."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise ValidationError({"refresh": [str(exc)]}) from None
    if str(token.get("user_id")) != str(user.pk):
        raise ValidationError({"refresh": ["Token is invalid or expired"]})
    token.blacklist()
