"""Sign-in, callback, logout, back-channel logout and events views (mozilla-django-oidc under)."""

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import auth
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from sso_client import constants as c
from sso_client.conf import sso_settings
from sso_client.discovery import provider_metadata
from sso_client.events import EventHookFailed, security_event_receive
from sso_client.exceptions import (
    AccountDisabled,
    AuthorizationDenied,
    ProviderMisconfigured,
    ProviderUnavailable,
    SSOError,
    StateError,
    TokenError,
)
from sso_client.oidc_bridge import oidc_setting
from sso_client.sessions import backchannel_logout, sso_session_record
from sso_client.tokens import set_error_code

logger = logging.getLogger(__name__)

DENIAL_MESSAGES = {
    "access_denied": "You did not allow this site to use your account, so you are not signed in.",
    "login_required": "You are not signed in at the sign-in service.",
}


def _safe_next(request: HttpRequest, next_url: str | None) -> str | None:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return None


def login_url(*, request: HttpRequest, next_url: str | None) -> str:
    """Return the sign-in URL, carrying `next_url` only when it stays on this site."""
    url = reverse("sso_client:login")
    safe = _safe_next(request, next_url)
    return f"{url}?{urlencode({'next': safe})}" if safe else url


def sso_error_response(request: HttpRequest, error: SSOError) -> HttpResponse:
    """Render the error page for a failed sign-in, with a "Try again" link."""
    logger.warning("sso_client: sign-in failed (%s): %s", error.__class__.__name__, error.reason)
    next_url = request.GET.get("next") or request.session.get(c.SESSION_LOGIN_NEXT)
    context = {
        "base_template": sso_settings.BASE_TEMPLATE,
        "title": error.title,
        "message": error.message,
        "retry_url": login_url(request=request, next_url=next_url),
    }
    response = render(request, "sso_client/error.html", context, status=error.status)
    response["Cache-Control"] = "no-store"
    return response


@method_decorator(never_cache, name="dispatch")
class SSOLoginView(OIDCAuthenticationRequestView):
    """GET /oidc/login/?next=: redirect to the provider with state, nonce and PKCE (S256)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        # mozilla's __init__ would resolve the endpoint before get() could report a failure.
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except SSOError as error:
            return sso_error_response(request, error)
        # mozilla keeps `next` only when url_has_allowed_host_and_scheme() accepts it.
        return super().get(request)


@method_decorator(never_cache, name="dispatch")
class SSOCallbackView(OIDCAuthenticationCallbackView):
    """GET /oidc/callback/: finish the authorization-code flow, or show why it failed."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return self._complete(request)
        except SSOError as error:
            # A failed response uses its state up too: the response saves the session without it.
            self._state_pop(request)
            return sso_error_response(request, error)

    def _state_pop(self, request: HttpRequest) -> dict[str, Any] | None:
        """Remove this response's state from the session; return what was stored with it.

        Not saved here: the session is written once, by the response. Meanwhile a replay of
        this response finds the state but not the code, which the provider takes once and
        only with this session's PKCE verifier (RFC 6749 §4.1.2, RFC 7636 §4.6); login()'s
        new session key then leaves the old session, state included, behind for good.
        """
        states = request.session.get(c.SESSION_STATES)
        if not isinstance(states, dict):
            return None
        entry = states.pop(request.GET.get("state", ""), None)
        if entry is not None:
            request.session[c.SESSION_STATES] = states
        return entry

    def _complete(self, request: HttpRequest) -> HttpResponse:
        entry = self._state_pop(request)
        error = request.GET.get("error")
        if error:
            raise AuthorizationDenied(
                f"authorization error {error!r}",
                message=DENIAL_MESSAGES.get(error, AuthorizationDenied.message),
            )
        if entry is None:
            raise StateError("state missing, unknown or already used")
        if not request.GET.get("code"):
            raise StateError("authorization response has no code")
        # RFC 9207 §2.4: the `iss` parameter must be our issuer (mix-up defence); a provider
        # that advertises it must always send it.
        iss = request.GET.get("iss")
        if iss is None:
            if provider_metadata().get("authorization_response_iss_parameter_supported") is True:
                raise TokenError("authorization response lacks iss")
        elif iss != sso_settings.ISSUER:
            raise TokenError(f"authorization response iss {iss!r} is not ours")
        # As mozilla does: a new session object, loaded lazily after the slow token exchange, so
        # what parallel tabs changed meanwhile is not overwritten.
        request.session = request.session.__class__(request.session.session_key)
        self._state_pop(request)
        user = auth.authenticate(
            request=request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
        if user is None:
            raise TokenError("no backend authenticated the response")
        if not user.is_active:
            raise AccountDisabled(f"user {user.pk} is inactive")
        sid = request.session.get(c.SESSION_SID)
        id_token = request.session.get(c.SESSION_ID_TOKEN)
        self.user = user
        response = self.login_success()
        sso_session_record(
            request=request,
            user=user,
            sid=sid,
            id_token=id_token,
            refresh_token=getattr(request, c.REQUEST_REFRESH_TOKEN, None),
        )
        return response


class SSOLogoutView(View):
    """POST /oidc/logout/: end the local session, then the provider's (RP-Initiated Logout)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        id_token = request.session.get(c.SESSION_ID_TOKEN)
        auth.logout(request)
        local_url = resolve_url(sso_settings.LOGOUT_REDIRECT_URL)
        if not id_token:
            return HttpResponseRedirect(local_url)
        try:
            end_session = provider_metadata().get("end_session_endpoint")
        except SSOError as error:
            logger.warning("sso_client: logged out locally only: %s", error.reason)
            end_session = None
        if not isinstance(end_session, str) or not end_session:
            return HttpResponseRedirect(local_url)
        # OIDC RP-Initiated Logout 1.0 §2: the hint names the session, the redirect URI must be
        # registered exactly, so it is absolute.
        params = {
            "id_token_hint": id_token,
            "client_id": sso_settings.CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(local_url),
        }
        separator = "&" if "?" in end_session else "?"
        return HttpResponseRedirect(f"{end_session}{separator}{urlencode(params)}")


@method_decorator(csrf_exempt, name="dispatch")
class BackchannelLogoutView(View):
    """POST /oidc/backchannel-logout/: the provider ends sessions (Back-Channel Logout 1.0)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        token = request.POST.get("logout_token", "")
        try:
            if not token:
                raise TokenError("no logout_token")
            ended = backchannel_logout(token=token)
        except SSOError as error:
            logger.warning("sso_client: back-channel logout refused: %s", error.reason)
            # §2.8: 400 for an invalid request; 502 when keys are unreachable, so it is retried.
            status = error.status if isinstance(error, ProviderUnavailable) else 400
            return JsonResponse(
                {"error": "invalid_request", "error_description": error.reason},
                status=status,
                headers={"Cache-Control": "no-store"},
            )
        logger.info("sso_client: back-channel logout ended %d session(s)", ended)
        return HttpResponse(status=200, headers={"Cache-Control": "no-store"})


def _set_error(status: int, err: str, description: str, **headers: str) -> JsonResponse:
    """Return RFC 8935 §2.4's error answer, never cached."""
    headers = {"Cache-Control": "no-store", **headers}
    return JsonResponse({"err": err, "description": description}, status=status, headers=headers)


def _set_unavailable(description: str) -> JsonResponse:
    """Return 503 with Retry-After: not the token's fault, so the provider delivers it again."""
    retry_after = {"Retry-After": str(sso_settings.EVENT_RETRY_AFTER)}
    return _set_error(503, c.SET_ERR_UNAVAILABLE, description, **retry_after)


@method_decorator(csrf_exempt, name="dispatch")
class SecurityEventView(View):
    """POST /oidc/events/: the provider pushes a Security Event Token (RFC 8935)."""

    http_method_names = ["post"]

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return _set_error(405, c.SET_ERR_INVALID_REQUEST, "POST a SET here", Allow="POST")

    def _token(self, request: HttpRequest) -> str:
        """Return the pushed body: a compact JWS, within EVENT_MAX_BYTES, of ASCII only."""
        if request.content_type.lower() != c.SECEVENT_CONTENT_TYPE:
            raise TokenError(f"Content-Type must be {c.SECEVENT_CONTENT_TYPE}")
        limit = sso_settings.EVENT_MAX_BYTES
        body = request.read(limit + 1)
        if len(body) > limit:
            raise TokenError(f"body is longer than {limit} bytes")
        try:
            return body.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise TokenError("malformed token") from exc

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            security_event_receive(token=self._token(request))
        except TokenError as error:
            logger.warning("sso_client: security event refused: %s", error.reason)
            return _set_error(400, set_error_code(error), error.reason)
        except (ProviderUnavailable, ProviderMisconfigured, EventHookFailed) as error:
            logger.warning("sso_client: security event not processed: %s", error.reason)
            return _set_unavailable(error.reason)
        except SSOError as error:
            logger.warning("sso_client: security event not applied: %s", error.reason)
            return _set_error(400, c.SET_ERR_INVALID_REQUEST, error.reason)
        except DatabaseError:
            logger.exception("sso_client: security event not applied: database error")
            return _set_unavailable("database error")
        return HttpResponse(status=202, headers={"Cache-Control": "no-store"})


@never_cache
@require_GET
def admin_login(request: HttpRequest) -> HttpResponse:
    """GET /admin/login/?next=: send the admin's sign-in to SSO, back to `next`.

    Staff already signed in go straight to `next` (default: the admin index). Someone signed in
    without staff rights gets a 403 page: sending them to sign in again would come straight
    back here (the provider's session signs them in at once), in a loop.
    """
    next_url = _safe_next(request, request.GET.get("next")) or reverse("admin:index")
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff:
        return HttpResponseRedirect(next_url)
    if user.is_authenticated:
        context = {
            "base_template": sso_settings.BASE_TEMPLATE,
            "home_url": resolve_url(sso_settings.LOGIN_REDIRECT_URL),
        }
        return render(request, "sso_client/admin_forbidden.html", context, status=403)
    return HttpResponseRedirect(login_url(request=request, next_url=next_url))
