"""manage.py sso_sync: repair the shadow users from the provider's list of changed users."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sso_client.exceptions import SSOError
from sso_client.service_api import CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT
from sso_client.sync import SyncReport, users_sync


class Command(BaseCommand):
    help = (
        "Read the users changed at the provider since the last run and repair their shadows "
        "(profile, email, staff flags, active, deleted), found by (issuer, sub)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Change nothing (not even the stored cursor); print the JSON diff.",
        )
        start = parser.add_mutually_exclusive_group()
        start.add_argument(
            "--since", metavar="CURSOR", help="Start after this cursor, not the stored one."
        )
        start.add_argument(
            "--full", action="store_true", help="Start from the beginning: every user."
        )
        parser.add_argument(
            "--page-size",
            type=int,
            default=CHANGES_DEFAULT_LIMIT,
            metavar="N",
            help=f"Users per request and per transaction (1-{CHANGES_MAX_LIMIT}).",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show progress on stderr (shown anyway when stderr is a terminal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        page_size, dry_run = options["page_size"], options["dry_run"]
        if not 1 <= page_size <= CHANGES_MAX_LIMIT:
            raise CommandError(f"--page-size must be 1 to {CHANGES_MAX_LIMIT}, got {page_size}.")
        show_progress = options["progress"] or self.stderr.isatty()
        try:
            report = users_sync(
                dry_run=dry_run,
                since=options["since"],
                full=options["full"],
                page_size=page_size,
                on_page=self._progress if show_progress else None,
            )
        except SSOError as error:
            raise CommandError(self._failure(error, dry_run=dry_run)) from error
        finally:
            if show_progress:
                self.stderr.write("")
        if dry_run:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(report.summary())

    def _progress(self, report: SyncReport) -> None:
        """Rewrite one status line on stderr."""
        verb = "would repair" if report.dry_run else "repaired"
        self.stderr.write(
            f"\rsso_sync: {report.pages} page(s), {report.scanned} user(s) read, "
            f"{len(report.changes)} {verb}",
            ending="",
        )
        self.stderr.flush()

    @staticmethod
    def _failure(error: SSOError, *, dry_run: bool) -> str:
        """Return what a failed run did and what to do next."""
        kept = (
            "Nothing was changed."
            if dry_run
            else "The pages applied before it are kept; the next run goes on from there."
        )
        hint = (
            " If the provider refused the cursor, run again with --full."
            if ("cursor" in error.reason)
            else ""
        )
        return f"sso_sync stopped: {error.reason}. {kept}{hint}"
