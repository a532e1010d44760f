"""Delete expired tokens, codes, old ended IdP sessions, expired Django sessions, old events."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oidc.services.purge import PURGE_BATCH_SIZE, purge_expired


class Command(BaseCommand):
    """``purge_expired``: keep the tables that grow with every sign-in at their live size.

    Run it periodically (hourly, say) after ``end_expired_sessions``, which ends the idle
    sessions this one deletes once their retention is over. Deletes in batches of one short
    transaction each, so it runs beside live traffic; a second run finds nothing.
    """

    help = (
        "Delete expired access, refresh and ID tokens, expired authorization codes, ended IdP "
        "sessions past IDP_SESSION_RETENTION_SECONDS, expired Django sessions, and delivered "
        "or cancelled event deliveries past EVENTS_KEEP_DAYS, in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=PURGE_BATCH_SIZE,
            help=f"Rows deleted per transaction (default {PURGE_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Purge and print how many rows of each kind went."""
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        counts = purge_expired(batch_size=batch_size)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} deleted")
        self.stdout.write(f"Purged {sum(counts.values())} rows.")
