"""The session re-check: ask the provider whether an SSO session's grant still lives.

A back-channel logout can be late (the shop was down, the delivery is still being retried);
this bounds how long a session the provider ended is still served here: at most
SESSION_RECHECK_SECONDS after its last check, plus the time until its next request.
"""

import logging
import time

from django.contrib import auth
from django.http import HttpRequest

from sso_client import constants as c
from sso_client.conf import sso_settings
from sso_client.discovery import provider_metadata
from sso_client.exceptions import ProviderMisconfigured, SSOError
from sso_client.models import SSOSession
from sso_client.transport import (
    client_basic_auth,
    json_object,
    provider_errors,
    provider_headers,
    provider_session,
)

logger = logging.getLogger(__name__)


def refresh_token_active(*, refresh_token: str) -> bool:
    """Return whether the provider still holds `refresh_token` active (RFC 7662 §2).

    The provider revokes a session's tokens when that session ends, the password changes or
    the account is deactivated. Raise ProviderUnavailable when the provider does not answer
    (or answers 5xx), ProviderMisconfigured for any other answer than RFC 7662's.
    """
    endpoint = provider_metadata().get("introspection_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ProviderMisconfigured("discovery document has no introspection_endpoint")
    with provider_errors("introspection endpoint", client_error=ProviderMisconfigured):
        response = provider_session().post(
            endpoint,
            data={"token": refresh_token, "token_type_hint": "refresh_token"},
            auth=client_basic_auth(),
            timeout=sso_settings.TIMEOUT,
            verify=sso_settings.VERIFY_SSL,
            headers=provider_headers({"Accept": "application/json"}),
        )
        response.raise_for_status()
        answer = json_object(response.json(), what="introspection answer")
    active = answer.get(c.INTROSPECTION_ACTIVE)
    if not isinstance(active, bool):
        raise ProviderMisconfigured("introspection answer has no boolean `active`")
    return active


def _recheck_due(request: HttpRequest, *, now: float) -> bool:
    """Tell whether the request's session came from the provider and its last check is old."""
    session = request.session
    if c.SESSION_ID_TOKEN not in session:
        return False  # not signed in through the provider
    checked_at = session.get(c.SESSION_CHECKED_AT)
    # A session signed in before the re-check existed has no time: it is due.
    if isinstance(checked_at, int | float) and not isinstance(checked_at, bool):
        return now - checked_at >= sso_settings.SESSION_RECHECK_SECONDS
    return True


def sso_session_recheck(*, request: HttpRequest) -> bool:
    """Re-check the request's SSO session when due; return False when it was ended here.

    Due when SESSION_RECHECK_SECONDS (0: never) have passed since the last check. The provider
    is asked about the refresh token the sign-in obtained: inactive, or no refresh token on
    record, logs the user out locally (the SSOSession goes with it) and the request goes on as
    anonymous. A provider that does not answer keeps the session (it being down must not sign
    every customer out) and is asked again after SESSION_RECHECK_RETRY_SECONDS.
    """
    interval = sso_settings.SESSION_RECHECK_SECONDS
    now = time.time()
    if not interval or not _recheck_due(request, now=now) or not request.user.is_authenticated:
        return True
    refresh_token = (
        SSOSession.objects.filter(session_key=request.session.session_key)
        .values_list("refresh_token", flat=True)
        .first()
    )
    if refresh_token:
        try:
            active = refresh_token_active(refresh_token=refresh_token)
        except SSOError as error:
            logger.warning("sso_client: session re-check postponed: %s", error.reason)
            retry = min(sso_settings.SESSION_RECHECK_RETRY_SECONDS, interval)
            request.session[c.SESSION_CHECKED_AT] = now - interval + retry
            return True
    else:
        active = False  # nothing to ask the provider with: the session cannot be vouched for
    if active:
        request.session[c.SESSION_CHECKED_AT] = now
        return True
    logger.info("sso_client: the provider ended session of user %s; logged out", request.user.pk)
    auth.logout(request)
    return False
