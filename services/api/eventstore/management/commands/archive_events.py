"""Archives events older than a cut-off into compressed, checksummed JSON Lines files."""

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from eventstore.archive import ArchiveError, archive_before


class Command(BaseCommand):
    help = "Move events older than --before into --to/events-*.jsonl.gz, listed in manifest.json."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--before", required=True, help="ISO-8601 cut-off, e.g. 2026-01-01T00:00:00Z"
        )
        parser.add_argument("--to", required=True, type=Path, help="Archive folder")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = parse_datetime(options["before"])
        if cutoff is None:
            raise CommandError("--before must be an ISO-8601 date-time")
        if timezone.is_naive(cutoff):
            cutoff = timezone.make_aware(cutoff, datetime.UTC)
        try:
            result = archive_before(cutoff, Path(options["to"]))
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        if result.file is None:
            self.stdout.write("Nothing to archive.")
        else:
            self.stdout.write(f"Archived {result.events} events to {result.file}")
