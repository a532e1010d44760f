"""Deliver the outbox: back-channel logout tokens and Security Event Tokens, with retries."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from events.services.worker import DeliveryWorker


class Command(BaseCommand):
    """``deliver_events [--once]``: the outbox worker (docs/events.md).

    Runs until SIGTERM or SIGINT, then finishes the POSTs in flight and exits 0. Several may
    run at once on PostgreSQL; on SQLite run one. Also runs the identity server's periodic
    clean-up (``end_expired_sessions``, ``purge_expired``) every EVENTS_MAINTENANCE_SECONDS.
    """

    help = "Deliver queued logout tokens and security events to the clients (long-running)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Deliver what is due now (retries that come due meanwhile included), then exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the worker until stopped and print how many attempts it made."""
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            self.stderr.write(f"{signal.Signals(signum).name}: stopping after the POSTs in flight")
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stderr.write("Delivering events (SIGTERM or Ctrl-C stops).")
        attempts = DeliveryWorker(stop=stop).run(once=options["once"])
        self.stdout.write(f"Made {attempts} delivery attempt{'' if attempts == 1 else 's'}.")
