"""IdP sessions: start at sign-in, link to the clients that take part, end at sign-out."""

import secrets
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, AbstractGrant

from audit.models import AuditEvent
from audit.services import audit_event_record
from config.client_ip import client_ip, user_agent
from events.services.outbox import logout_events_record
from oidc import constants
from oidc.models import ClientUser, IdPSession, SessionClient, SessionGrant
from oidc.services.tokens import code_digest, tokens_revoke_for_sessions

# accounts.middleware writes IdPSession.last_seen at most this often (a write per request
# would cost every signed-in page view an UPDATE); the idle timeout is exact to within it.
LAST_SEEN_WRITE_SECONDS = 60
# Django session key: when this browser's IdP session was last recorded as seen (seconds
# since the epoch); the middleware skips the last_seen write until LAST_SEEN_WRITE_SECONDS
# have passed since.
SESSION_SEEN_KEY = "idp_seen"

# Why a session was ended without its user signing out (audit data, the middleware's notice).
END_REASON_IDLE = "idle"
END_REASON_LIFETIME = "lifetime"
END_REASON_ENDED = "ended"


def idp_session_start(*, request: HttpRequest, user) -> IdPSession:
    """Open an IdP session for a user who just signed in, and remember it in the session.

    Called from the ``user_logged_in`` receiver, after Django rotated the session key. When the
    same user signs in again in the same browser (``prompt=login``), the session keeps its sid
    (the shops' sessions still refer to it) and only ``auth_time`` moves.
    """
    now = timezone.now()
    previous_sid = request.session.get(constants.SESSION_SID_KEY)
    session = (
        IdPSession.objects.filter(sid=previous_sid, user=user, ended_at__isnull=True).first()
        if previous_sid
        else None
    )
    if session is None:
        # OIDC Back-Channel Logout 1.0 §2.1: sid is an opaque, unguessable string.
        session = IdPSession(sid=secrets.token_urlsafe(32), user=user)
    # accounts.services.signin sets the methods; a sign-in by another path (a test client's
    # force_login) counts as a password.
    amr = list(getattr(request, "idp_amr", None) or [constants.AMR_PASSWORD])
    session.session_key = request.session.session_key or ""
    session.auth_time = now
    session.amr = amr
    session.ip = client_ip(request)
    session.user_agent = user_agent(request)
    session.last_seen = now
    with transaction.atomic():
        session.save()
        audit_event_record(
            kind=AuditEvent.Kind.SIGN_IN,
            actor=user,
            subject_user=user,
            request=request,
            data={"sid": session.sid, "amr": amr},
        )
    request.session[constants.SESSION_SID_KEY] = session.sid
    request.session[constants.SESSION_AUTH_TIME_KEY] = now.timestamp()
    request.session[constants.SESSION_AMR_KEY] = amr
    # last_seen was just written: the next request only checks that the session is open,
    # and the page the sign-in redirects to leaves the Django session unwritten.
    request.session[SESSION_SEEN_KEY] = now.timestamp()
    return session


def idp_session_end(*, request: HttpRequest, user) -> IdPSession | None:
    """End the IdP session of this browser (sign-out here or RP-initiated logout).

    Marks the row ended, revokes the tokens issued within it, records the sign-out and
    queues the back-channel logout tokens of the clients that took part (the outbox: the
    worker sends them after the commit, and this request waits on no client).
    """
    sid = request.session.get(constants.SESSION_SID_KEY)
    with transaction.atomic():
        session = (
            IdPSession.objects.select_for_update().filter(sid=sid, ended_at__isnull=True).first()
            if sid
            else None
        )
        if session is not None:
            session.ended_at = timezone.now()
            session.save(update_fields=["ended_at"])
            tokens_revoke_for_sessions(session_ids=[session.pk])
            logout_events_record(session_ids=[session.pk])
        if user is not None and user.is_authenticated:
            # accounts.middleware names why it signs a browser out (idle, lifetime, ended).
            reason = getattr(request, "idp_session_end_reason", None)
            data = {"sid": sid} if sid else {}
            audit_event_record(
                kind=AuditEvent.Kind.SESSION_ENDED if reason else AuditEvent.Kind.SIGN_OUT,
                actor=user,
                subject_user=user,
                request=request,
                data={**data, "reason": reason} if reason else data,
            )
    return session


def idp_sessions_end_for_user(*, user, except_sid: str | None = None) -> int:
    """End the open IdP sessions of a user, revoke their tokens, delete their Django sessions.

    Used when an account is deactivated or its password changes (``except_sid``: the browser
    that changed it stays signed in). The caller holds the transaction; the back-channel
    logout tokens are queued in it and go out after it commits.
    """
    sessions = list(
        IdPSession.objects.filter(user=user, ended_at__isnull=True).exclude(sid=except_sid or "")
    )
    _sessions_end(sessions=sessions)
    return len(sessions)


def idp_sessions_end_others(*, user, keep_sid: str | None, request: HttpRequest) -> int:
    """End the user's IdP sessions but ``keep_sid`` and record it; return how many ended.

    The sessions page's "Sign out everywhere else" (and, with this browser signed out after
    it, "everywhere"): each shop of each session gets a back-channel logout token.
    """
    with transaction.atomic():
        ended = idp_sessions_end_for_user(user=user, except_sid=keep_sid)
        audit_event_record(
            kind=AuditEvent.Kind.SESSIONS_ENDED,
            actor=user,
            subject_user=user,
            request=request,
            data={"count": ended},
        )
    return ended


def idp_session_end_by_id(*, user, session_id: int, request: HttpRequest) -> IdPSession:
    """End one of ``user``'s IdP sessions from the sessions page, and record it.

    Raises ``IdPSession.DoesNotExist`` when no session of this user has the id, another
    user's included. A session that already ended is returned unchanged (a second click).
    """
    with transaction.atomic():
        session = IdPSession.objects.select_for_update().get(pk=session_id, user=user)
        if session.ended_at is None:
            _sessions_end(sessions=[session])
            audit_event_record(
                kind=AuditEvent.Kind.SESSION_ENDED,
                actor=user,
                subject_user=user,
                request=request,
                data={"sid": session.sid},
            )
    return session


def idp_session_check(*, sid: str, now: datetime, touch: bool) -> str | None:
    """Return why the IdP session ``sid`` may no longer be used, or None while it may.

    One indexed query per call: with ``touch`` a conditional UPDATE that records
    ``last_seen`` and checks the idle timeout, the absolute lifetime and that the session
    has not ended; without it an EXISTS on the last two (the caller saw the session less
    than ``LAST_SEEN_WRITE_SECONDS`` ago). Only a refusal costs a second query, for its reason.
    """
    idle_cutoff, age_cutoff = _cutoffs(now=now)
    usable = IdPSession.objects.filter(sid=sid, ended_at__isnull=True, created__gt=age_cutoff)
    if touch:
        alive = usable.filter(_seen_after(idle_cutoff)).update(last_seen=now) == 1
    else:
        alive = usable.exists()
    if alive:
        return None
    session = IdPSession.objects.filter(sid=sid).only("ended_at", "created").first()
    if session is None or session.ended_at is not None:
        return END_REASON_ENDED
    return END_REASON_LIFETIME if session.created <= age_cutoff else END_REASON_IDLE


def idp_sessions_expire(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """End the open IdP sessions past their idle timeout or lifetime; return how many.

    For browsers that never came back (the middleware ends the others at their next
    request): their shops still get back-channel logout tokens. Ending only open sessions
    makes a second run a no-op. The idle cutoff allows for ``last_seen`` being written at
    most once every ``LAST_SEEN_WRITE_SECONDS``.
    """
    now = now or timezone.now()
    idle_cutoff, age_cutoff = _cutoffs(now=now)
    idle_cutoff -= timedelta(seconds=LAST_SEEN_WRITE_SECONDS)
    expired = (
        Q(created__lte=age_cutoff)
        | Q(last_seen__lte=idle_cutoff)
        | Q(last_seen__isnull=True, auth_time__lte=idle_cutoff)
    )
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                IdPSession.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(expired, ended_at__isnull=True)
                .order_by("pk")[:batch_size]
            )
            _sessions_end(sessions=batch)
            for session in batch:
                reason = END_REASON_LIFETIME if session.created <= age_cutoff else END_REASON_IDLE
                audit_event_record(
                    kind=AuditEvent.Kind.SESSION_ENDED,
                    subject_user=session.user,
                    data={"sid": session.sid, "reason": reason},
                )
        total += len(batch)
        if len(batch) < batch_size:
            return total


def _cutoffs(*, now: datetime) -> tuple[datetime, datetime]:
    """Return (seen last before this: idle, created before this: past its lifetime)."""
    return (
        now - timedelta(seconds=settings.IDP_SESSION_IDLE_SECONDS),
        now - timedelta(seconds=settings.IDP_SESSION_MAX_AGE_SECONDS),
    )


def _seen_after(cutoff: datetime) -> Q:
    """Match sessions seen after ``cutoff`` (rows from before ``last_seen``: signed in after)."""
    return Q(last_seen__gt=cutoff) | Q(last_seen__isnull=True, auth_time__gt=cutoff)


def _sessions_end(*, sessions: list[IdPSession]) -> None:
    """End these open sessions: rows, tokens, Django sessions, then back-channel logout.

    Runs inside the caller's transaction, which also holds the queued logout tokens.
    """
    if not sessions:
        return
    now = timezone.now()
    for session in sessions:
        session.ended_at = now
    session_ids = [s.pk for s in sessions]
    IdPSession.objects.filter(pk__in=session_ids).update(ended_at=now)
    tokens_revoke_for_sessions(session_ids=session_ids)
    _django_sessions_delete(session_keys=[s.session_key for s in sessions if s.session_key])
    logout_events_record(session_ids=session_ids)


def _django_sessions_delete(*, session_keys: list[str]) -> None:
    """Delete Django sessions by key, whatever the session engine."""
    engine = import_module(settings.SESSION_ENGINE)
    for key in session_keys:
        engine.SessionStore(session_key=key).delete()


def idp_session_link_grant(
    *, sid: str | None, application: AbstractApplication, grant: AbstractGrant
) -> SessionGrant | None:
    """Record that a client got an authorization code within the IdP session ``sid``.

    The client now knows the user (``ClientUser``, with the scopes granted), so it hears of
    the user's account events (docs/events.md).
    """
    client_user_record(application=application, user_id=grant.user_id, scopes=grant.scope)
    if not sid:
        return None
    session = IdPSession.objects.filter(sid=sid, ended_at__isnull=True).first()
    if session is None:
        return None
    # One statement whether or not the client already took part (get_or_create costs a
    # SELECT, and a savepoint and an INSERT the first time); the unique constraint decides.
    SessionClient.objects.bulk_create(
        [SessionClient(session=session, application=application)], ignore_conflicts=True
    )
    return SessionGrant.objects.create(
        session=session, grant=grant, code_digest=code_digest(grant.code)
    )


def client_user_record(*, application: AbstractApplication, user_id: int, scopes: str) -> None:
    """Remember that ``application`` knows the user, with these granted scopes (upsert).

    One statement: INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite); the last grant's
    scopes win, since they are what the client's tokens now carry.
    """
    ClientUser.objects.bulk_create(
        [ClientUser(application=application, user_id=user_id, scopes=scopes)],
        update_conflicts=True,
        unique_fields=["application", "user"],
        update_fields=["scopes", "updated"],
    )
