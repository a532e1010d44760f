"""manage.py sso_link_users: link existing local users to the provider's users by verified email."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sso_client.exceptions import SSOError
from sso_client.linking import local_users_link
from sso_client.service_api import LOOKUP_MAX_EMAILS


class Command(BaseCommand):
    help = (
        "Link each local user without an SSO identity to the provider's user with the same "
        "verified email, so signing in through SSO lands on the existing account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Change nothing; print the JSON report of what would be linked and skipped.",
        )
        parser.add_argument("--report", metavar="FILE", help="Also write the JSON report here.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=LOOKUP_MAX_EMAILS,
            metavar="N",
            help=f"Emails per lookup request and per transaction (1-{LOOKUP_MAX_EMAILS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= LOOKUP_MAX_EMAILS:
            raise CommandError(f"--batch-size must be 1 to {LOOKUP_MAX_EMAILS}, got {batch_size}.")
        report_path = Path(options["report"]) if options["report"] else None
        # Fail before linking anybody when the report cannot be written.
        if report_path is not None and not report_path.parent.is_dir():
            raise CommandError(f"Cannot write the report: {report_path.parent} is not a directory.")
        try:
            report = local_users_link(dry_run=options["dry_run"], batch_size=batch_size)
        except SSOError as error:
            raise CommandError(f"Nothing was linked: {error.reason}.") from error
        document = json.dumps(report.as_dict(), indent=2)
        if report_path is not None:
            report_path.write_text(document + "\n", encoding="utf-8")
        self.stdout.write(document if options["dry_run"] else report.summary())
