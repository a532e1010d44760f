"""The delivery loop of ``deliver_events``: POSTs in a thread pool, maintenance on a timer.

The main thread claims due deliveries as threads free up and records each outcome as it
comes, so a client that hangs holds one thread for EVENTS_HTTP_TIMEOUT_SECONDS and the
others go on. Every EVENTS_MAINTENANCE_SECONDS it ends expired IdP sessions and purges what
expired (``purge_expired``, old deliveries included). A database that goes away is logged
and waited out with a growing pause; outcomes not yet recorded are kept until it is back.
"""

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from events.services.delivery import (
    Attempt,
    Outcome,
    attempt_send,
    deliveries_claim,
    outcome_record,
)
from oidc.services.purge import purge_expired
from oidc.services.sessions import idp_sessions_expire

logger = logging.getLogger(__name__)

# The longest pause after database errors (it doubles from one second up to this).
DATABASE_BACKOFF_MAX_SECONDS = 30.0


class DeliveryWorker:
    """Deliver until ``stop`` is set, then finish the POSTs in flight and return."""

    def __init__(self, *, stop: threading.Event, threads: int | None = None) -> None:
        self.stop = stop
        self.threads = threads or settings.EVENTS_WORKER_THREADS
        self.in_flight: dict[Future, Attempt] = {}
        self.unrecorded: list[tuple[Attempt, Outcome]] = []
        self.next_maintenance = time.monotonic() + settings.EVENTS_MAINTENANCE_SECONDS
        self.database_failures = 0
        self.attempts = 0

    def run(self, *, once: bool = False) -> int:
        """Deliver until stopped (``once``: until nothing is due); return how many attempts."""
        with ThreadPoolExecutor(self.threads, thread_name_prefix="deliver") as pool:
            while not self.stop.is_set():
                try:
                    idle = self._step(pool, once=once)
                    self.database_failures = 0
                except DatabaseError as error:
                    self._database_down(error)
                    continue
                if once and idle:
                    break
            # Stopping: claim nothing more, but wait for the POSTs in flight and record them.
            self._collect(wait_all=True)
            self._record(final=True)
        return self.attempts

    def _step(self, pool: ThreadPoolExecutor, *, once: bool) -> bool:
        """Record, claim, send, collect once; return whether there was nothing to do."""
        if not connection.in_atomic_block:
            # As Django does around each request: drop a broken or too old connection.
            close_old_connections()
        self._record()
        if time.monotonic() >= self.next_maintenance:
            self.maintenance_run()
        free = self.threads - len(self.in_flight)
        claimed = deliveries_claim(limit=min(free, settings.EVENTS_BATCH_SIZE)) if free else []
        self.attempts += len(claimed)
        for attempt in claimed:
            self.in_flight[pool.submit(attempt_send, attempt)] = attempt
        if self.in_flight:
            # Wake up as soon as a POST ends; right away when the claim was full (more due).
            self._collect(timeout=0 if claimed and len(claimed) == free else 0.2)
            self._record()
            return False
        if claimed:
            return False
        if not once:
            self.stop.wait(settings.EVENTS_POLL_SECONDS)
        return True

    def _collect(self, *, timeout: float = 0, wait_all: bool = False) -> None:
        """Move finished POSTs to the outcomes to record (waiting up to ``timeout``)."""
        if not self.in_flight:
            return
        if wait_all:
            done, _running = wait(list(self.in_flight))
        else:
            done, _running = wait(
                list(self.in_flight), timeout=timeout, return_when=FIRST_COMPLETED
            )
        for future in done:
            self.unrecorded.append((self.in_flight.pop(future), future.result()))

    def _record(self, *, final: bool = False) -> None:
        """Record the outcomes collected so far (kept for later while the database is down)."""
        while self.unrecorded:
            attempt, outcome = self.unrecorded[0]
            try:
                outcome_record(attempt=attempt, outcome=outcome)
            except DatabaseError as error:
                if not final:
                    raise
                # Stopping with the database down: the lease ends, and another try follows.
                logger.error("Could not record delivery %s: %s", attempt.delivery_id, error)
            self.unrecorded.pop(0)

    def maintenance_run(self) -> None:
        """End expired IdP sessions and purge expired rows (old deliveries included)."""
        self.next_maintenance = time.monotonic() + settings.EVENTS_MAINTENANCE_SECONDS
        ended = idp_sessions_expire()
        counts = purge_expired()
        logger.info(
            "Maintenance: %s expired sessions ended, %s rows purged", ended, sum(counts.values())
        )

    def _database_down(self, error: Exception) -> None:
        """Log, drop the broken connection, and pause longer after each failure in a row."""
        self.database_failures += 1
        pause = min(DATABASE_BACKOFF_MAX_SECONDS, 2.0 ** (self.database_failures - 1))
        logger.error("Database error (%s); trying again in %.0f s", error, pause)
        try:
            connection.close()
        except DatabaseError:
            logger.debug("Closing the broken connection failed", exc_info=True)
        self._collect()
        self.stop.wait(pause)
