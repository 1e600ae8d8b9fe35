"""Puts archived events back into the event store, after checking every file's checksum."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from eventstore.archive import ArchiveError, restore_from


class Command(BaseCommand):
    help = "Restore every file listed in --from/manifest.json (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="folder", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = restore_from(Path(options["folder"]))
        except (ArchiveError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Restored {restored} events.")
