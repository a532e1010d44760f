"""Write audit events. Callers run these inside their own transaction."""

from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent


def request_ip(request: HttpRequest | None) -> str | None:
    """Return the client address Django saw (REMOTE_ADDR), or None without a request."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_event_record(
    *,
    kind: AuditEvent.Kind,
    actor=None,
    subject_user=None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; the caller's transaction makes it commit with the change it records."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        subject_user=subject_user,
        ip=request_ip(request),
        data=data or {},
    )
