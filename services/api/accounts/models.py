from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What a user says about themselves; Django's User keeps the credentials."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=150, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    timezone = models.CharField(max_length=64, default="UTC")
    # Every token carries the value it was issued under; moving it ends every session at once
    # (accounts/sessions.py). Not part of the user's own record: the API never shows it.
    session_epoch = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"
