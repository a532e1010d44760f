"""The steps of a sign-in: first factor, an optional second one, then the session.

Every way in (password form, passkey, second step, re-authentication) ends in
``sign_in_complete``, which records how the user proved who they are (RFC 8176 ``amr``) on
the IdP session. Between the password and the second factor, the user is only *pending*:
the Django session holds their id for a few minutes and they are not signed in.
"""

import time

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from oidc import constants

User = get_user_model()

PENDING_KEY = "signin_pending"
# Time allowed between the password and the second factor.
PENDING_MAX_AGE_SECONDS = 5 * 60
BACKEND = "accounts.backends.ThrottledModelBackend"

SECOND_FACTORS = frozenset({constants.AMR_OTP, constants.AMR_HARDWARE_KEY})


def amr_of(methods: list[str]) -> list[str]:
    """Return the amr for the methods used, with ``mfa`` when there were two factors.

    A passkey used alone counts as two factors: the authenticator checks the user (PIN or
    biometrics) before it signs, and sign-in with a passkey requires that check.
    """
    amr = sorted(set(methods))
    first = constants.AMR_PASSWORD in amr
    second = bool(SECOND_FACTORS & set(amr))
    if (first and second) or amr == [constants.AMR_HARDWARE_KEY]:
        amr.append(constants.AMR_MFA)
    return amr


def sign_in_pending_start(*, request: HttpRequest, user, methods: list[str]) -> None:
    """Remember that ``user`` passed a first factor; the second one is still to come."""
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        # A password change or reset (the hash changes) cancels a pending sign-in.
        "auth_hash": user.get_session_auth_hash(),
        "methods": list(methods),
        "started": time.time(),
    }


def sign_in_pending(request: HttpRequest) -> tuple[object, list[str]] | None:
    """Return (user, methods so far) of a pending sign-in, or None when none or expired."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("started", 0)) > PENDING_MAX_AGE_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=pending.get("user_id"), is_active=True).first()
    if user is None or not constant_time_compare(
        str(pending.get("auth_hash", "")), user.get_session_auth_hash()
    ):
        request.session.pop(PENDING_KEY, None)
        return None
    return user, list(pending.get("methods", []))


def sign_in_pending_clear(request: HttpRequest) -> None:
    """Forget a pending sign-in."""
    request.session.pop(PENDING_KEY, None)


def sign_in_complete(*, request: HttpRequest, user, methods: list[str]) -> list[str]:
    """Sign ``user`` in with the methods they used; return the amr recorded.

    ``login`` fires ``user_logged_in``, whose receiver opens (or refreshes) the IdP session
    with this amr (oidc/services/sessions.py).
    """
    amr = amr_of(methods)
    sign_in_pending_clear(request)
    request.idp_amr = amr  # read by idp_session_start
    login(request, user, backend=BACKEND)
    return amr


def session_amr(request: HttpRequest) -> list[str]:
    """Return the amr of the browser's current sign-in ([] when not signed in)."""
    amr = request.session.get(constants.SESSION_AMR_KEY)
    return list(amr) if isinstance(amr, list) else []


def session_has_mfa(request: HttpRequest) -> bool:
    """Return whether the current sign-in used two factors."""
    return constants.AMR_MFA in session_amr(request)
