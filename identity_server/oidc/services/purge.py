"""Delete the rows every sign-in leaves behind once nothing can use them any more.

Tokens follow django-oauth-toolkit's own rules (``oauth2_provider.models.clear_expired``,
the ``cleartokens`` command), run here in short batches that report their counts: DOT counts
the whole remaining set before each batch, which scans a table of a million expired rows
again and again, and only logs what it deleted. Ended IdP sessions go after a retention
(the account's sessions page and the audit trail refer to them meanwhile), with their links
(SessionClient, SessionGrant: cascade); expired Django sessions with them. Delivered and
cancelled outbox deliveries go after EVENTS_KEEP_DAYS, and their events once none is left
(failed ones stay for an admin to see, retry or cancel).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.settings import oauth2_settings

from events.models import Delivery, Event
from oidc.models import IdPSession

AccessToken = get_access_token_model()
Grant = get_grant_model()
IDToken = get_id_token_model()
RefreshToken = get_refresh_token_model()

# Rows per transaction: each batch holds its row locks for a few milliseconds, so sign-ins
# and token requests running alongside never wait long.
PURGE_BATCH_SIZE = 5000


def rows_delete_in_batches(queryset: QuerySet, *, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete the rows of ``queryset`` in primary-key order, one transaction per batch.

    Each batch reads the next ``batch_size`` keys after the last one seen (every row is
    read once, however many rows stay), then deletes those that still match: a row that
    live traffic changed in between is left alone. Django's delete cascades and nulls the
    rows that point at them. Return how many rows of the queryset's model went.
    """
    model: type[Model] = queryset.model
    label = model._meta.label
    deleted = 0
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        keys = list(page.values_list("pk", flat=True)[:batch_size])
        if not keys:
            return deleted
        with transaction.atomic():
            _total, per_model = queryset.filter(pk__in=keys).delete()
        deleted += per_model.get(label, 0)
        last = keys[-1]


def purge_expired(
    *, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE
) -> dict[str, int]:
    """Delete what expired, in batches; return how many rows went, by kind.

    Safe beside live traffic and idempotent: every condition holds only for rows that no
    request can use any more, and a second run finds nothing.
    """
    now = now or timezone.now()
    steps: list[tuple[str, Callable[[], QuerySet]]] = [
        *_token_steps(now=now),
        ("ended IdP sessions", lambda: _ended_sessions(now=now)),
        ("old event deliveries", lambda: _old_deliveries(now=now)),
        ("old events", lambda: _old_events(now=now)),
    ]
    counts = {name: rows_delete_in_batches(rows(), batch_size=batch_size) for name, rows in steps}
    counts["Django sessions"] = django_sessions_purge(now=now, batch_size=batch_size)
    return counts


def _token_steps(*, now: datetime) -> list[tuple[str, Callable[[], QuerySet]]]:
    """Return DOT's clear_expired conditions (DOT 3.4), in its order, as named querysets.

    Refresh tokens first: an access token still named by one is kept.
    """
    expire_delta = refresh_token_expire_timedelta()
    expired_before = now - expire_delta if expire_delta else None
    grace = timedelta(seconds=oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS or 0)
    # RFC 9700 §4.14.2: a rotated token must stay until it expires, so that its replay is
    # recognised and revokes its family.
    revoked_before = (
        expired_before if oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION else now - grace
    )
    steps: list[tuple[str, Callable[[], QuerySet]]] = []
    if revoked_before is not None:
        steps.append(
            (
                "revoked refresh tokens",
                lambda: RefreshToken.objects.filter(revoked__lte=revoked_before),
            )
        )
    # A refresh token whose access token is gone can never be used (DOT refuses it).
    steps.append(
        (
            "orphaned refresh tokens",
            lambda: RefreshToken.objects.filter(revoked__isnull=True, access_token__isnull=True),
        )
    )
    if expired_before is not None:
        # Idle expiry: REFRESH_TOKEN_EXPIRE_SECONDS after its last access token expired.
        steps.append(
            (
                "expired refresh tokens",
                lambda: RefreshToken.objects.filter(
                    revoked__isnull=True, access_token__expires__lte=expired_before
                ),
            )
        )
    steps += [
        (
            "expired access tokens",
            lambda: AccessToken.objects.filter(refresh_token__isnull=True, expires__lt=now),
        ),
        (
            "expired ID tokens",
            lambda: IDToken.objects.filter(access_token__isnull=True, expires__lt=now),
        ),
        ("expired authorization codes", lambda: Grant.objects.filter(expires__lt=now)),
    ]
    return steps


def _ended_sessions(*, now: datetime) -> QuerySet:
    """Return the IdP sessions that ended longer than the retention ago."""
    cutoff = now - timedelta(seconds=settings.IDP_SESSION_RETENTION_SECONDS)
    return IdPSession.objects.filter(ended_at__lte=cutoff)


def _old_deliveries(*, now: datetime) -> QuerySet:
    """Return the delivered and cancelled deliveries last changed before the retention."""
    cutoff = now - timedelta(days=settings.EVENTS_KEEP_DAYS)
    return Delivery.objects.filter(
        status__in=[Delivery.Status.DELIVERED, Delivery.Status.CANCELLED], updated__lte=cutoff
    )


def _old_events(*, now: datetime) -> QuerySet:
    """Return the events older than the retention that have no delivery left."""
    cutoff = now - timedelta(days=settings.EVENTS_KEEP_DAYS)
    return Event.objects.filter(created__lte=cutoff).exclude(
        Exists(Delivery.objects.filter(event=OuterRef("pk")))
    )


def django_sessions_purge(*, now: datetime, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete expired Django sessions in batches (``clearsessions``, without one long DELETE).

    A session engine without a table (cache, signed cookies) expires its own entries:
    its ``clear_expired`` runs and nothing is counted.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        store.clear_expired()
        return 0
    expired = store.get_model_class().objects.filter(expire_date__lt=now)
    return rows_delete_in_batches(expired, batch_size=batch_size)
