"""Services over local sessions opened through the provider (SSOSession)."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from sso_client import constants as c
from sso_client.claims import bounded_key
from sso_client.conf import cache_key, sso_settings
from sso_client.exceptions import TokenError
from sso_client.models import SSOSession
from sso_client.tokens import logout_token_validate

SID_MAX_LENGTH = SSOSession._meta.get_field("sid").max_length


def sid_key(sid: str) -> str:
    """Return how SSOSession stores the provider session `sid`: itself, or its digest.

    The Back-Channel Logout spec sets no length on `sid`; a longer one than the column holds
    is stored, and looked up, as its SHA-256.
    """
    return bounded_key(sid, max_length=SID_MAX_LENGTH) if sid else ""


def sso_session_record(
    *, request: HttpRequest, user: AbstractBaseUser, sid: str | None, id_token: str | None
) -> SSOSession:
    """Store the provider session and ID token in the session and remember the local session.

    Run by the callback view after `login()`, which may have flushed or cycled the session.
    """
    request.session[c.SESSION_SID] = sid or ""
    request.session[c.SESSION_ID_TOKEN] = id_token or ""
    if request.session.session_key is None:
        request.session.save()
    session, _ = SSOSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"sid": sid_key(sid or ""), "user": user},
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
    # Remembered until the token is too old to pass validation anyway.
    jti_key = cache_key("logout-jti", claims[c.CLAIM_ISS], claims[c.CLAIM_JTI])
    ttl = sso_settings.LOGOUT_TOKEN_MAX_AGE + 2 * sso_settings.LEEWAY
    # In the CACHE_ALIAS cache, which every process shares: a replay to another process fails too.
    if not sso_settings.cache().add(jti_key, 1, ttl):
        raise TokenError("logout token replayed (jti seen before)")
    return sso_sessions_end(
        issuer=claims[c.CLAIM_ISS], sid=claims.get(c.CLAIM_SID), sub=claims.get(c.CLAIM_SUB)
    )
