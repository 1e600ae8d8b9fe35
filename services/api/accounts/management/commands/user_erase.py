"""Data-subject erasure (docs/operations.md#gdpr-requests). Without --yes it only shows what it
would erase."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.privacy import events_about, user_erase
from tasks.models import Comment
from workspaces.models import Membership


class Command(BaseCommand):
    help = "Erase a user's personal data (pseudonymise the account, redact events). Needs --yes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--by-id",
            action="store_true",
            help="The argument is the user's id (to replay an erasure after a restore).",
        )
        parser.add_argument("--yes", action="store_true", help="Really erase (irreversible).")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        name = options["username"]
        if options["by_id"]:
            if not name.isdigit():
                raise CommandError("With --by-id, give the user's numeric id.")
            user = users.filter(pk=int(name)).first()
        else:
            user = users.filter(username=name).first()
        if user is None:
            raise CommandError(f"No user {name!r}.")
        if not options["yes"]:
            self.stdout.write(
                f"Would erase {user.username} (id {user.pk}): "
                f"{Membership.objects.filter(user=user).count()} memberships, "
                f"{Comment.objects.filter(author=user).count()} comments, "
                f"{events_about(user).count()} events about them. Re-run with --yes to erase."
            )
            return
        try:
            erasure = user_erase(user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Erased {erasure.username} (now erased-{user.pk}): left "
            f"{erasure.memberships_left} workspaces, deleted {erasure.workspaces_deleted} of "
            f"their own, redacted {erasure.events_erased} events and {erasure.comments_erased} "
            f"comments, revoked {erasure.tokens_deleted} refresh tokens."
        )
