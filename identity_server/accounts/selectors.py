"""Reads of the account area: the user's open sessions and recent security events."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Prefetch

from accounts.devices import device_describe
from audit.models import AuditEvent
from oidc.models import IdPSession, SessionClient

# The security events page shows the latest events only: a bounded page, whatever the history.
SECURITY_EVENTS_SHOWN = 50


@dataclass(frozen=True)
class SessionRow:
    """One open IdP session as the sessions page shows it."""

    id: int
    device: str
    ip: str | None
    signed_in_at: datetime
    last_seen: datetime | None
    this_device: bool
    shops: list[str]


@dataclass(frozen=True)
class SecurityEventRow:
    """One audit event as the security events page shows it (never its data)."""

    label: str
    kind: str
    at: datetime
    ip: str | None
    device: str


def sessions_of(*, user, current_sid: str | None) -> list[SessionRow]:
    """Return the user's open IdP sessions, this browser's first, then the latest seen."""
    sessions = (
        IdPSession.objects.filter(user=user, ended_at__isnull=True)
        .prefetch_related(
            Prefetch(
                "clients",
                queryset=SessionClient.objects.select_related("application").order_by(
                    "application__name"
                ),
            )
        )
        .order_by(F("last_seen").desc(nulls_last=True), "-created")
    )
    rows = [
        SessionRow(
            id=session.pk,
            device=device_describe(session.user_agent),
            ip=session.ip,
            signed_in_at=session.auth_time,
            last_seen=session.last_seen,
            this_device=bool(current_sid) and session.sid == current_sid,
            shops=[link.application.name for link in session.clients.all()],
        )
        for session in sessions
    ]
    return sorted(rows, key=lambda row: not row.this_device)


def security_events_of(*, user) -> list[SecurityEventRow]:
    """Return the latest audit events about the user's account, newest first."""
    events = AuditEvent.objects.filter(subject_user=user).only(
        "kind", "created", "ip", "user_agent"
    )[:SECURITY_EVENTS_SHOWN]
    return [
        SecurityEventRow(
            label=event.get_kind_display(),
            kind=event.kind,
            at=event.created,
            ip=event.ip,
            device=device_describe(event.user_agent) if event.user_agent else "",
        )
        for event in events
    ]
