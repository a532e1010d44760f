"""Re-authentication before sensitive changes (ASVS 5 V6.2: changing credentials).

Changing the email, the password or the sign-in factors needs a recent proof that the
person at the keyboard is the account's owner, not someone who found a signed-in browser.
The proof is the sign-in itself (``oidc.constants.SESSION_AUTH_TIME_KEY``) or a later
re-authentication recorded here; either counts for ``settings.RECENT_AUTH_SECONDS``.

Views opt in with ``@recent_auth_required``: an older proof sends the user to
``/account/reauthenticate/?next=<where they were>``, which asks for the current password
(through ``django.contrib.auth.authenticate``, so the sign-in throttle counts it) or a code
from the authenticator app, then sends them back.
"""

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_variables

from accounts.services.mfa import SecondFactorRefused, totp_verify
from accounts.services.throttle import RETRY_AFTER_ATTRIBUTE
from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc import constants

# When the user last proved again who they are (seconds since the epoch).
SESSION_REAUTH_TIME_KEY = "reauth_time"


class ReauthRefused(Exception):
    """The password or code did not prove who the user is (``retry_after``: throttled)."""

    def __init__(self, *, retry_after: int | None = None) -> None:
        super().__init__("re-authentication refused")
        self.retry_after = retry_after


def reauth_time(request: HttpRequest) -> float | None:
    """Return when the user of this session last proved who they are, or None."""
    moments = [
        value
        for value in (
            request.session.get(constants.SESSION_AUTH_TIME_KEY),
            request.session.get(SESSION_REAUTH_TIME_KEY),
        )
        if isinstance(value, int | float)
    ]
    return max(moments) if moments else None


def reauth_is_recent(request: HttpRequest) -> bool:
    """Return whether the sign-in or the last re-authentication is recent enough."""
    moment = reauth_time(request)
    return moment is not None and time.time() - moment <= settings.RECENT_AUTH_SECONDS


def reauth_url(next_url: str) -> str:
    """Return the re-authentication page's URL, coming back to ``next_url``."""
    return f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}"


def _return_to(request: HttpRequest) -> str:
    """Return where to come back after re-authenticating.

    A GET comes back to itself. A form's POST cannot be replayed as a GET: the user comes
    back to the page that showed the form (its Referer, when on this site) and submits again.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return settings.LOGIN_REDIRECT_URL


def recent_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in user whose sign-in or re-authentication is recent.

    Not signed in: the sign-in page (as ``login_required``). Signed in too long ago: the
    re-authentication page, which comes back here.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not reauth_is_recent(request):
            return HttpResponseRedirect(reauth_url(_return_to(request)))
        return view(request, *args, **kwargs)

    return wrapper


def _reauth_record(*, request: HttpRequest, user, method: str) -> None:
    with transaction.atomic():
        audit_event_record(
            kind=AuditEvent.Kind.REAUTHENTICATED,
            actor=user,
            subject_user=user,
            request=request,
            data={"method": method},
        )
    request.session[SESSION_REAUTH_TIME_KEY] = time.time()


@sensitive_variables("password")
def reauth_with_password(*, request: HttpRequest, password: str) -> None:
    """Re-authenticate the signed-in user with their current password; raise ReauthRefused.

    ``authenticate`` goes through accounts.backends.ThrottledModelBackend: the try counts
    against the same throttle as the sign-in form, and a failure is audited as one.
    """
    user = request.user
    checked = authenticate(request, username=user.email, password=password)
    if checked is None or checked.pk != user.pk:
        raise ReauthRefused(retry_after=getattr(request, RETRY_AFTER_ATTRIBUTE, None))
    _reauth_record(request=request, user=user, method=constants.AMR_PASSWORD)


@sensitive_variables("code")
def reauth_with_code(*, request: HttpRequest, code: str) -> None:
    """Re-authenticate the signed-in user with an authenticator app code; raise ReauthRefused.

    Recovery codes are not taken here: one would be spent for a settings change.
    """
    user = request.user
    try:
        totp_verify(request=request, user=user, code=code)
    except SecondFactorRefused as refused:
        raise ReauthRefused(retry_after=refused.retry_after) from refused
    _reauth_record(request=request, user=user, method=constants.AMR_OTP)
