"""manage.py sso_purge: delete expired sessions and the SSOSession rows left without a session."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sso_client.sessions import sso_sessions_purge


class Command(BaseCommand):
    help = (
        "Delete expired sessions, then the SSOSession rows whose session is gone or expired, "
        "in batches (safe while the site serves requests)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="rows deleted per statement (1000)"
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        sessions, records = sso_sessions_purge(batch_size=batch_size)
        self.stdout.write(
            f"Deleted {sessions} expired session(s) and {records} SSO session record(s)."
        )
