"""Deliver the outbox: claim due rows, POST each outside any transaction, record the outcome.

Several workers may run at once: on PostgreSQL a claim takes its rows with ``SELECT ... FOR
UPDATE SKIP LOCKED`` and leases them (``next_attempt_at`` moves EVENTS_LEASE_SECONDS ahead)
in one short transaction, so no other worker takes them while the POST runs; a worker that
dies mid-POST leaves rows that another takes when the lease ends. SQLite runs one worker.

Security events about one person go to one client in the order they happened: a SET is not
claimed while an earlier one for the same client and person is still pending (in flight or
waiting for its retry), so "renamed, then deactivated" never arrives the other way round.
Logout tokens name their own session and go out at once.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from events import constants
from events.models import Delivery
from events.services.set_tokens import set_build
from oidc.services.backchannel import logout_token_build

logger = logging.getLogger(__name__)

# RFC 9110 §15.5.9 and RFC 6585 §4: a timeout or "slow down" is worth another attempt.
RETRYABLE_4XX = frozenset({408, 429})
ERROR_MAX_LENGTH = 500


@dataclass(frozen=True)
class Attempt:
    """What one POST needs, read at claim time (the worker threads never touch the ORM)."""

    delivery_id: int
    kind: str
    uri: str
    client_id: str
    event_type: str
    sub: str
    toe: float
    txn: str
    payload: dict[str, Any]
    attempt: int
    give_up_at: datetime


@dataclass(frozen=True)
class Outcome:
    """How one POST went: a status code, or an error (timeout, refused connection...)."""

    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        """Return whether the client acknowledged (any 2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Return whether another attempt may succeed: no answer, 408, 429 or 5xx."""
        code = self.status_code
        return code is None or code in RETRYABLE_4XX or code >= 500


def deliveries_claim(*, limit: int, now: datetime | None = None) -> list[Attempt]:
    """Lease up to ``limit`` due pending deliveries for this worker; return their attempts."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
    with transaction.atomic():
        due = (
            Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .exclude(Q(kind=Delivery.Kind.SET) & Exists(_earlier_set_pending()))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.select_related("event", "application")[:limit])
        if not rows:
            return []
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(
            attempts=F("attempts") + 1, next_attempt_at=lease_until, updated=now
        )
    return [
        Attempt(
            delivery_id=row.pk,
            kind=row.kind,
            uri=row.uri,
            client_id=row.application.client_id,
            event_type=row.event.type,
            sub=str(row.event.user_sub),
            toe=row.event.created.timestamp(),
            txn=str(row.event.pk),
            payload=row.payload,
            attempt=row.attempts + 1,
            give_up_at=row.give_up_at,
        )
        for row in rows
    ]


def _earlier_set_pending():
    """Pending SETs created before the outer one, to the same client about the same person."""
    return Delivery.objects.filter(
        kind=Delivery.Kind.SET,
        status=Delivery.Status.PENDING,
        application_id=OuterRef("application_id"),
        event__user_sub=OuterRef("event__user_sub"),
        pk__lt=OuterRef("pk"),
    )


def attempt_send(attempt: Attempt) -> Outcome:
    """Sign a fresh token and POST it; never raises (a failure is an Outcome).

    Runs in a worker thread, outside any transaction. The body of the answer is not read:
    only its status and ``Retry-After`` count.
    """
    try:
        if attempt.kind == Delivery.Kind.LOGOUT:
            # OIDC Back-Channel Logout 1.0 §2.5: form-encoded, parameter logout_token.
            token = logout_token_build(
                sub=attempt.sub, sid=attempt.payload.get("sid", ""), client_id=attempt.client_id
            )
            request: dict[str, Any] = {"data": {"logout_token": token}}
        else:
            # RFC 8935 §2: the SET is the body.
            token = set_build(
                event_type=attempt.event_type,
                sub=attempt.sub,
                toe=attempt.toe,
                txn=attempt.txn,
                client_id=attempt.client_id,
                payload=attempt.payload,
            )
            request = {
                "data": token.encode("ascii"),
                "headers": {
                    "Content-Type": constants.SET_CONTENT_TYPE,
                    "Accept": "application/json",
                },
            }
        with requests.post(
            attempt.uri,
            timeout=settings.EVENTS_HTTP_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
            **request,
        ) as response:
            return Outcome(
                status_code=response.status_code,
                error="" if response.ok else f"HTTP {response.status_code} {response.reason}",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
    except requests.RequestException as error:
        return Outcome(error=f"{type(error).__name__}: {error}")
    except Exception as error:  # a bug must not kill the worker thread's caller
        logger.exception("Delivery %s could not be sent", attempt.delivery_id)
        return Outcome(error=f"{type(error).__name__}: {error}")


def retry_after_seconds(value: str | None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    # ASCII only: "²" (latin-1 in a header) is a digit to str.isdigit() and not to float().
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year of 20 digits
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def retry_delay(*, attempt: int, retry_after: float | None = None) -> float:
    """Return the wait before attempt ``attempt + 1``: exponential backoff with jitter.

    base * 2^(attempt-1), capped at EVENTS_RETRY_MAX_DELAY_SECONDS, then a random half of
    it taken off (so clients that came back at once are not hit by every worker together);
    a ``Retry-After`` the client sent is honoured up to the same cap.
    """
    cap = settings.EVENTS_RETRY_MAX_DELAY_SECONDS
    delay = min(cap, settings.EVENTS_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    delay *= random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def outcome_record(*, attempt: Attempt, outcome: Outcome, now: datetime | None = None) -> str:
    """Store how an attempt went; return the delivery's new status.

    Only a pending row is updated: one an admin cancelled meanwhile stays cancelled.
    """
    now = now or timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:ERROR_MAX_LENGTH],
        "updated": now,
    }
    if outcome.delivered:
        status = Delivery.Status.DELIVERED
        fields.update(delivered_at=now)
    else:
        retry_at = now + timedelta(
            seconds=retry_delay(attempt=attempt.attempt, retry_after=outcome.retry_after)
        )
        if outcome.retryable and retry_at <= attempt.give_up_at:
            status = Delivery.Status.PENDING
            fields.update(next_attempt_at=retry_at)
        else:
            status = Delivery.Status.FAILED
    Delivery.objects.filter(pk=attempt.delivery_id, status=Delivery.Status.PENDING).update(
        status=status, **fields
    )
    log = logger.info if status != Delivery.Status.FAILED else logger.warning
    log(
        "Delivery %s (%s to %s, attempt %s): %s -> %s",
        attempt.delivery_id,
        attempt.kind,
        attempt.uri,
        attempt.attempt,
        outcome.status_code or outcome.error,
        status,
    )
    return status


def deliveries_retry(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """Make failed or pending deliveries due now, with a new retry window; return how many."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        pk__in=delivery_ids, status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED]
    ).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        give_up_at=now + timedelta(seconds=settings.EVENTS_RETRY_FOR_SECONDS),
        updated=now,
    )


def deliveries_cancel(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """Cancel pending or failed deliveries (never attempted again); return how many."""
    return Delivery.objects.filter(
        pk__in=delivery_ids, status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED]
    ).update(status=Delivery.Status.CANCELLED, updated=now or timezone.now())
