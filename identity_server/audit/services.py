"""Write audit events. Callers run these inside their own transaction."""

from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent
from config.client_ip import client_ip, user_agent


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
        ip=client_ip(request),
        user_agent=user_agent(request),
        data=data or {},
    )
