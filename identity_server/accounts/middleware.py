"""IdP session lifetime: idle timeout and absolute lifetime (docs/account-security.md)."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from oidc import constants
from oidc.services.sessions import (
    END_REASON_ENDED,
    LAST_SEEN_WRITE_SECONDS,
    SESSION_SEEN_KEY,
    idp_session_check,
)

EXPIRED_MESSAGE = "Your session expired, please sign in again."
ENDED_MESSAGE = "You were signed out, please sign in again."


class IdPSessionTimeoutMiddleware:
    """Sign a browser out when its IdP session ended, was idle too long or is too old.

    Sits after AuthenticationMiddleware and before every view (the authorize endpoint
    included, which then sees an anonymous user and issues no code). A signed-in request
    costs one indexed query: the throttled ``last_seen`` write, or a check that the session
    is still open. The sign-out goes through ``logout()``, whose receiver ends the IdP
    session, revokes its tokens and tells its shops (back-channel logout).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = self._end_reason(request)
        if reason is not None:
            request.idp_session_end_reason = reason
            logout(request)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        """Tell the user why they were signed out (MessageMiddleware runs after __call__)."""
        reason = getattr(request, "idp_session_end_reason", None)
        if reason is not None and hasattr(request, "_messages"):
            text = ENDED_MESSAGE if reason == END_REASON_ENDED else EXPIRED_MESSAGE
            messages.warning(request, text)

    @staticmethod
    def _end_reason(request: HttpRequest) -> str | None:
        """Return why this browser's IdP session is over, or None (also when signed out)."""
        sid = request.session.get(constants.SESSION_SID_KEY)
        if not sid:
            return None
        now = timezone.now()
        seen = request.session.get(SESSION_SEEN_KEY)
        # Within the write interval (and the idle timeout) the session was seen recently:
        # only whether it ended or grew too old is left to ask the database.
        interval = min(LAST_SEEN_WRITE_SECONDS, settings.IDP_SESSION_IDLE_SECONDS)
        elapsed = now.timestamp() - seen if isinstance(seen, (int, float)) else None
        touch = elapsed is None or not 0 <= elapsed < interval
        reason = idp_session_check(sid=sid, now=now, touch=touch)
        if reason is None and touch:
            request.session[SESSION_SEEN_KEY] = now.timestamp()
        return reason
