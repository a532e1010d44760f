"""Write what clients must learn of to the outbox, in the transaction of the change.

Nothing is sent here: the ``deliver_events`` worker delivers the rows once the transaction
commits (a rollback leaves none), so no user request ever waits on a client.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from events import constants
from events.models import Delivery, Event
from oidc.constants import CLAIMS_BY_SCOPE, SCOPE_OPENID
from oidc.models import ClientUser, SessionClient
from oidc.selectors import user_claims


def logout_events_record(*, session_ids: list[int]) -> int:
    """Queue back-channel logout tokens for the clients of these ended IdP sessions.

    One event per session, one delivery per client that took part in it and has a
    back-channel logout URI. The sub and sid are copied now: a transaction that goes on to
    delete the user (and its sessions) still tells the clients. Return how many deliveries.
    """
    links = list(
        SessionClient.objects.filter(
            session_id__in=session_ids, application__options__backchannel_logout_uri__gt=""
        )
        .order_by("session_id", "application_id")
        .values_list(
            "session_id",
            "session__sid",
            "session__user__sub",
            "application_id",
            "application__options__backchannel_logout_uri",
        )
    )
    if not links:
        return 0
    now = timezone.now()
    sessions = {session_id: (sid, sub) for session_id, sid, sub, _app, _uri in links}
    events = Event.objects.bulk_create(
        [
            Event(type=constants.EVENT_LOGOUT, user_sub=sub, created=now, data={"sid": sid})
            for sid, sub in sessions.values()
        ]
    )
    event_of = dict(zip(sessions, events, strict=True))
    Delivery.objects.bulk_create(
        [
            _delivery(
                event=event_of[session_id],
                application_id=application_id,
                kind=Delivery.Kind.LOGOUT,
                uri=uri,
                payload={"sid": sid},
                now=now,
            )
            for session_id, sid, _sub, application_id, uri in links
        ]
    )
    return len(links)


def user_claims_change_record(*, user, fields: Iterable[str]) -> Event | None:
    """Queue a token-claims-change SET for each client that sees one of the changed claims.

    ``fields`` names the user fields that changed (``constants.CLAIMS_BY_FIELD``). Each
    client gets the claims its granted scopes release (the ID token's, ``user_claims``), as
    they are now. Fields no claim shows (staff flags, permissions) write nothing.
    """
    changed = {claim for field in fields for claim in constants.CLAIMS_BY_FIELD.get(field, ())}
    if not changed:
        return None
    links = _clients_knowing(user=user)
    released = {app: _released_claims(scopes) for app, (scopes, _uri) in links.items()}
    links = {app: link for app, link in links.items() if released[app] & changed}
    if not links:
        return None
    all_scopes = {scope for scopes, _uri in links.values() for scope in scopes}
    claims = user_claims(user=user, scopes=all_scopes)
    payloads = {
        app: {"claims": {name: value for name, value in claims.items() if name in released[app]}}
        for app in links
    }
    return _event_record(
        user=user,
        event_type=constants.EVENT_CLAIMS_CHANGE,
        links=links,
        payloads=payloads,
        data={"fields": sorted(fields)},
    )


def user_status_record(*, user, event_type: str) -> Event | None:
    """Queue an account status SET (disabled, enabled, purged) for each client of the user.

    For a deleted account, call it before the row goes: the clients that knew the user go
    with it (``ClientUser`` cascades).
    """
    links = _clients_knowing(user=user)
    if not links:
        return None
    return _event_record(
        user=user,
        event_type=event_type,
        links=links,
        payloads={app: {} for app in links},
        data={},
    )


def _clients_knowing(*, user) -> dict[int, tuple[set[str], str]]:
    """Return {application id: (granted scopes, events URI)} of the clients with an events URI
    that received a code for ``user``."""
    rows = ClientUser.objects.filter(
        user=user, application__options__events_uri__gt=""
    ).values_list("application_id", "scopes", "application__options__events_uri")
    return {app: (set(scopes.split()), uri) for app, scopes, uri in rows}


def _released_claims(scopes: set[str]) -> set[str]:
    """Return the names of the claims ``scopes`` release (OIDC Core 1.0 §5.4)."""
    granted = scopes | {SCOPE_OPENID}
    return {name for scope in granted for name in CLAIMS_BY_SCOPE.get(scope, ())}


def _event_record(
    *,
    user,
    event_type: str,
    links: dict[int, tuple[set[str], str]],
    payloads: dict[int, dict[str, Any]],
    data: dict[str, Any],
) -> Event:
    now = timezone.now()
    event = Event.objects.create(type=event_type, user_sub=user.sub, created=now, data=data)
    Delivery.objects.bulk_create(
        [
            _delivery(
                event=event,
                application_id=app,
                kind=Delivery.Kind.SET,
                uri=uri,
                payload=payloads[app],
                now=now,
            )
            for app, (_scopes, uri) in sorted(links.items())
        ]
    )
    return event


def _delivery(
    *, event: Event, application_id: int, kind: str, uri: str, payload: dict, now: datetime
) -> Delivery:
    return Delivery(
        event=event,
        application_id=application_id,
        kind=kind,
        uri=uri,
        payload=payload,
        next_attempt_at=now,
        give_up_at=now + timedelta(seconds=settings.EVENTS_RETRY_FOR_SECONDS),
    )
