"""Data-subject access: everything the platform holds about one user, as JSON."""

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from accounts.privacy import user_export


class Command(BaseCommand):
    help = (
        "Export a user's data (account, profile, memberships, tasks created and assigned, "
        "comments, and the events they caused or that name them) as JSON."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--output", type=Path, help="Write to this file (mode 600), not stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        document = json.dumps(user_export(user=user), cls=DjangoJSONEncoder, indent=2)
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(document)
            return
        output.touch(mode=0o600)
        output.write_text(document + "\n", encoding="utf-8")
        self.stderr.write(f"Exported {user.username} to {output}")
