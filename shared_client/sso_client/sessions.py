"""Services over local sessions opened through the provider (SSOSession)."""

import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from sso_client import constants as c
from sso_client.claims import bounded_key
from sso_client.exceptions import TokenError
from sso_client.models import SSOSession
from sso_client.tokens import jti_first_seen, logout_token_validate

SID_MAX_LENGTH = SSOSession._meta.get_field("sid").max_length
# The purge leaves younger SSOSession rows alone: far longer than any sign-in request takes
# between recording the row and storing its session.
RECORD_GRACE = timedelta(hours=1)


def sid_key(sid: str) -> str:
    """Return how SSOSession stores the provider session `sid`: itself, or its digest.

    The Back-Channel Logout spec sets no length on `sid`; a longer one than the column holds
    is stored, and looked up, as its SHA-256.
    """
    return bounded_key(sid, max_length=SID_MAX_LENGTH) if sid else ""


def sso_session_record(
    *,
    request: HttpRequest,
    user: AbstractBaseUser,
    sid: str | None,
    id_token: str | None,
    refresh_token: str | None = None,
) -> SSOSession:
    """Store the provider session and ID token in the session and remember the local session.

    Run by the callback view after `login()`, which may have flushed or cycled the session
    (with sso_client.session_engine the new key is stored by the response, after this row:
    the purge leaves rows younger than RECORD_GRACE alone). The refresh token goes to the
    SSOSession row only (the session may live in a cookie); the session is counted as checked
    now, as the provider has just vouched for it.
    """
    request.session[c.SESSION_SID] = sid or ""
    request.session[c.SESSION_ID_TOKEN] = id_token or ""
    request.session[c.SESSION_CHECKED_AT] = time.time()
    if request.session.session_key is None:
        request.session.save()
    session = SSOSession(
        session_key=request.session.session_key,
        sid=sid_key(sid or ""),
        user=user,
        refresh_token=refresh_token or "",
    )
    fields = {"sid": session.sid, "user": user, "refresh_token": session.refresh_token}
    if not connection.features.supports_update_conflicts_with_target:
        SSOSession.objects.update_or_create(session_key=session.session_key, defaults=fields)
        return session
    # One INSERT ... ON CONFLICT statement: the key is new after login(), unless the same user
    # signed in again in this session.
    SSOSession.objects.bulk_create(
        [session],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=list(fields),
    )
    return session


def sso_session_forget(*, session_key: str | None) -> None:
    """Drop the record of a local session that ended (run on `user_logged_out`)."""
    if session_key:
        SSOSession.objects.filter(session_key=session_key).delete()


def sso_sessions_end(*, issuer: str, sid: str | None, sub: str | None) -> int:
    """End the local sessions of a provider session `sid` and/or identity `sub`; return how many.

    OIDC Back-Channel Logout 1.0 §2.7: with a sid, end that session (of that sub when both are
    given); with only a sub, end every session of that identity. Raise ValueError with
    neither, which would otherwise end every session.
    """
    if not sid and not sub:
        raise ValueError("sid or sub is required")
    sessions = SSOSession.objects.all()
    if sid:
        sessions = sessions.filter(sid=sid_key(sid))
    if sub:
        sessions = sessions.filter(user__sso_identity__issuer=issuer, user__sso_identity__sub=sub)
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        keys = list(sessions.values_list("session_key", flat=True))
        for key in keys:
            store_class(session_key=key).delete()
        SSOSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def backchannel_logout(*, token: str) -> int:
    """End the local sessions a logout token names; return how many (Back-Channel Logout 1.0).

    Raise TokenError for an invalid token or a `jti` seen before (§2.6 step 8 allows refusing
    replays), ProviderUnavailable when the keys cannot be fetched.
    """
    claims = logout_token_validate(token=token)
    if not jti_first_seen(kind="logout-jti", issuer=claims[c.CLAIM_ISS], jti=claims[c.CLAIM_JTI]):
        raise TokenError("logout token replayed (jti seen before)")
    return sso_sessions_end(
        issuer=claims[c.CLAIM_ISS], sid=claims.get(c.CLAIM_SID), sub=claims.get(c.CLAIM_SUB)
    )


def _session_model(store_class: type) -> type | None:
    """Return the model of a database-backed session engine (db, cached_db); None otherwise."""
    get_model_class = getattr(store_class, "get_model_class", None)
    return get_model_class() if get_model_class else None


def _expired_sessions_purge(*, store_class: type, batch_size: int) -> int:
    """Delete expired sessions of a database-backed engine, a batch at a time; return how many.

    Short transactions on a bounded set of rows, so live requests never wait long behind them.
    Other engines expire their sessions themselves (a cache) or in clear_expired() (files).
    """
    model = _session_model(store_class)
    if model is None:
        store_class.clear_expired()
        return 0
    deleted = 0
    while True:
        expired = model.objects.filter(expire_date__lte=timezone.now())
        keys = list(expired.values_list("pk", flat=True)[:batch_size])
        if keys:
            # The expiry again: a session renewed since it was read is kept.
            again = model.objects.filter(pk__in=keys, expire_date__lte=timezone.now())
            deleted += again.delete()[0]
        if len(keys) < batch_size:
            return deleted


def _live_keys(*, store_class: type, keys: list[str]) -> set[str]:
    """Return which of the session `keys` still hold a session that has not expired."""
    model = _session_model(store_class)
    if model is None:
        return {key for key in keys if store_class().exists(key)}
    live = model.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
    return set(live.values_list("session_key", flat=True))


def sso_sessions_purge(*, batch_size: int = 1000) -> tuple[int, int]:
    """Delete expired sessions, then the SSOSession rows whose session is gone or expired.

    Return (sessions deleted, SSOSession rows deleted). Works through the rows in primary-key
    order, `batch_size` at a time, each batch in its own short statements: safe beside live
    traffic, as a session that is gone or expired never comes back (Django gives the browser a
    new key), and rows younger than RECORD_GRACE are left alone: the callback records a row
    just before its response stores the session under a new key (session_engine's cycle_key).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    sessions_deleted = _expired_sessions_purge(store_class=store_class, batch_size=batch_size)
    records_deleted = 0
    last_pk = 0
    recorded_before = timezone.now() - RECORD_GRACE
    while True:
        rows = list(
            SSOSession.objects.filter(pk__gt=last_pk, created__lt=recorded_before)
            .order_by("pk")
            .values_list("pk", "session_key")[:batch_size]
        )
        if not rows:
            break
        last_pk = rows[-1][0]
        live = _live_keys(store_class=store_class, keys=[key for _, key in rows])
        dead = [pk for pk, key in rows if key not in live]
        if dead:
            records_deleted += SSOSession.objects.filter(pk__in=dead).delete()[0]
        if len(rows) < batch_size:
            break
    return sessions_deleted, records_deleted
