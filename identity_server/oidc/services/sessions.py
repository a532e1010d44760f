"""IdP sessions: start at sign-in, link to the clients that take part, end at sign-out."""

import secrets
from importlib import import_module
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, AbstractGrant

from audit.models import AuditEvent
from audit.services import audit_event_record
from config.client_ip import client_ip, user_agent
from oidc import constants
from oidc.models import IdPSession, SessionClient, SessionGrant
from oidc.services.backchannel import backchannel_logout_schedule
from oidc.services.tokens import code_digest, tokens_revoke_for_sessions


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
    return session


def idp_session_end(*, request: HttpRequest, user) -> IdPSession | None:
    """End the IdP session of this browser (sign-out here or RP-initiated logout).

    Marks the row ended, revokes the tokens issued within it, records the sign-out and,
    after commit, sends the back-channel logout tokens to the clients that took part.
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
            backchannel_logout_schedule(session_ids=[session.pk])
        if user is not None and user.is_authenticated:
            audit_event_record(
                kind=AuditEvent.Kind.SIGN_OUT,
                actor=user,
                subject_user=user,
                request=request,
                data={"sid": sid} if sid else {},
            )
    return session


def idp_sessions_end_for_user(*, user, except_sid: str | None = None) -> int:
    """End the open IdP sessions of a user, revoke their tokens, delete their Django sessions.

    Used when an account is deactivated or its password changes (``except_sid``: the browser
    that changed it stays signed in). The caller holds the transaction; the back-channel
    logout tokens go out after it commits.
    """
    sessions = list(
        IdPSession.objects.filter(user=user, ended_at__isnull=True).exclude(sid=except_sid or "")
    )
    if not sessions:
        return 0
    session_ids = [s.pk for s in sessions]
    IdPSession.objects.filter(pk__in=session_ids).update(ended_at=timezone.now())
    tokens_revoke_for_sessions(session_ids=session_ids)
    _django_sessions_delete(session_keys=[s.session_key for s in sessions if s.session_key])
    backchannel_logout_schedule(session_ids=session_ids)
    return len(sessions)


def _django_sessions_delete(*, session_keys: list[str]) -> None:
    """Delete Django sessions by key, whatever the session engine."""
    engine = import_module(settings.SESSION_ENGINE)
    for key in session_keys:
        engine.SessionStore(session_key=key).delete()


def idp_session_link_grant(
    *, sid: str | None, application: AbstractApplication, grant: AbstractGrant
) -> SessionGrant | None:
    """Record that a client got an authorization code within the IdP session ``sid``."""
    if not sid:
        return None
    session = IdPSession.objects.filter(sid=sid, ended_at__isnull=True).first()
    if session is None:
        return None
    SessionClient.objects.get_or_create(session=session, application=application)
    return SessionGrant.objects.create(
        session=session, grant=grant, code_digest=code_digest(grant.code)
    )


def idp_session_link_token_family(*, link: SessionGrant, token_family: UUID) -> None:
    """Record the refresh token family minted from a code, on the code's session link."""
    link.token_family = token_family
    link.save(update_fields=["token_family"])
