"""The authorization endpoint: silent sign-in, forced re-authentication, remembered consent.

DOT's view does the OAuth part; this one decides what OIDC Core 1.0 §3.1.2 leaves to the
provider, with the browser session at hand: whether the user must sign in again (``prompt=login``,
``max_age``, an ``id_token_hint`` for someone else), whether consent must be asked, and what to
answer when ``prompt=none`` forbids asking.
"""

import hashlib
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import AbstractApplication, get_application_model
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.oauth2_validators import is_valid_resource_uri
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error, InvalidClientIdError

from oidc import constants
from oidc.backends import validated_client
from oidc.id_tokens import id_token_hint_claims
from oidc.selectors import consent_covers
from oidc.services.consent import consent_grant

Application = get_application_model()

REAUTH_SALT = "oidc.authorize.reauth"
# Session key: digests of the consent forms shown, so only a form this server rendered (after
# its sign-in checks) can be submitted.
CONSENT_FORMS_KEY = "oidc_consent_forms"
CONSENT_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "resource",
)
# How long the proof of "asked to sign in again" stays usable: the time to type a password.
REAUTH_STAMP_MAX_AGE_SECONDS = 600


def prompt_values(request: HttpRequest) -> set[str]:
    """Return the request's ``prompt`` values (space-separated, OIDC Core 1.0 §3.1.2.1)."""
    return set(request.GET.get("prompt", "").split())


def _request_digest(request: HttpRequest) -> str:
    """Digest the authorization request without ``prompt`` and our stamp: what a stamp binds."""
    items = sorted(
        (key, value)
        for key, values in request.GET.lists()
        if key not in ("prompt", constants.REAUTH_PARAM)
        for value in values
    )
    return hashlib.sha256(urlencode(items).encode()).hexdigest()


def _form_value(value) -> str:
    """Return a request value as the consent form holds it (resource lists space-separated)."""
    if isinstance(value, list):
        return " ".join(value)
    return str(value or "")


def _resource_refused(request: HttpRequest) -> str | None:
    """Return why the request's ``resource`` values are refused (RFC 8707 §2), or None."""
    for resource in request.GET.getlist("resource"):
        if not is_valid_resource_uri(resource):
            return (
                f"The resource '{resource}' is not a valid resource indicator: "
                "it must be an absolute URI with a scheme and host."
            )
    return None


def _consent_digest(data, scopes) -> str:
    """Digest what a consent form asks for: the client, where the code goes, the scopes."""
    fields = [(name, _form_value(data.get(name))) for name in CONSENT_FIELDS]
    fields.append(("scope", " ".join(sorted(scopes))))
    return hashlib.sha256(urlencode(fields).encode()).hexdigest()


def _reauth_stamp_time(request: HttpRequest) -> float | None:
    """Return when re-authentication was asked for this very request, or None if unproven."""
    try:
        stamp = signing.loads(
            request.GET.get(constants.REAUTH_PARAM, ""),
            salt=REAUTH_SALT,
            max_age=REAUTH_STAMP_MAX_AGE_SECONDS,
        )
    except signing.BadSignature:
        return None
    if not isinstance(stamp, dict) or stamp.get("d") != _request_digest(request):
        return None
    asked_at = stamp.get("t")
    return float(asked_at) if isinstance(asked_at, int | float) else None


def _refused_parameter(request: HttpRequest, *, hint_valid: bool) -> tuple[str, str] | None:
    """Return ``(error, description)`` for a parameter this provider refuses, or None."""
    if "request" in request.GET:
        # OIDC Core 1.0 §6: request objects are not supported, and must not be ignored.
        return constants.ERROR_REQUEST_NOT_SUPPORTED, "Request objects are not supported."
    if "request_uri" in request.GET:
        return constants.ERROR_REQUEST_URI_NOT_SUPPORTED, "request_uri is not supported."
    max_age = request.GET.get("max_age")
    if max_age is not None and not (max_age.isascii() and max_age.isdigit()):
        return "invalid_request", "max_age must be a whole number of seconds."
    if not hint_valid:
        return "invalid_request", "id_token_hint is not an ID token of this provider."
    return None


class AuthorizeView(AuthorizationView):
    """``/o/authorize/``: DOT's authorization view, with OIDC's prompt, max_age and consent."""

    def handle_no_permission(self) -> HttpResponse:
        """Nobody is signed in: ``prompt=none`` gets ``login_required``, others the sign-in.

        A request that demands a fresh sign-in (``prompt=login``, ``max_age``) comes back
        stamped, so the sign-in about to happen satisfies it and is not asked for twice.
        """
        prompt = prompt_values(self.request)
        if constants.PROMPT_NONE in prompt:
            try:
                _scopes, credentials = self.validate_authorization_request(self.request)
            except OAuthToolkitError as error:
                return self.error_response(error, application=None)
            return self._error(credentials, constants.ERROR_LOGIN_REQUIRED, "Nobody is signed in.")
        if constants.PROMPT_LOGIN in prompt or "max_age" in self.request.GET:
            return self._sign_in_again(self.request, message="")
        return super().handle_no_permission()

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Validate the request, then sign in again, ask consent, or answer with a code."""
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = validated_client(credentials) or Application.objects.get(
            client_id=credentials["client_id"]
        )
        prompt = prompt_values(request)

        hint = request.GET.get("id_token_hint")
        hint_claims = id_token_hint_claims(hint) if hint else None
        refusal = _refused_parameter(request, hint_valid=not hint or hint_claims is not None)
        if refusal is not None:
            return self._error(credentials, *refusal, application)
        max_age_text = request.GET.get("max_age")
        refused_resource = _resource_refused(request)
        if refused_resource is not None:
            return self._error(credentials, "invalid_target", refused_resource, application)
        # RFC 8707: every ``resource`` value, as the list the code stores (oauthlib keeps one).
        credentials["resource"] = request.GET.getlist("resource")

        if self._must_sign_in_again(
            request,
            prompt=prompt,
            max_age=int(max_age_text) if max_age_text is not None else None,
            hint_sub=hint_claims.get("sub") if hint_claims else None,
            mfa_asked=constants.ACR_MFA in request.GET.get("acr_values", "").split(),
        ):
            if constants.PROMPT_NONE in prompt:
                return self._error(
                    credentials,
                    constants.ERROR_LOGIN_REQUIRED,
                    "The user must sign in again.",
                    application,
                )
            return self._sign_in_again(request)

        if "ui_locales" in credentials and isinstance(credentials["ui_locales"], list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        must_ask = not application.skip_authorization and (
            constants.PROMPT_CONSENT in prompt
            or not consent_covers(user=request.user, application=application, scopes=scopes)
        )
        if must_ask:
            if constants.PROMPT_NONE in prompt:
                return self._error(
                    credentials,
                    constants.ERROR_CONSENT_REQUIRED,
                    "The user has not allowed this application yet.",
                    application,
                )
            return self._consent_form(scopes, credentials, application)
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        return self.redirect(uri, application)

    def form_valid(self, form) -> HttpResponse:
        """Issue the code (or the refusal); remember the consent once a code went out.

        Only a consent form this server showed, in this session, is accepted: a hand-made
        POST would skip the checks of ``get`` (prompt=login, max_age).
        """
        if not Application.objects.filter(client_id=form.cleaned_data["client_id"]).exists():
            return self.error_response(FatalClientError(error=InvalidClientIdError()), None)
        shown = self.request.session.get(CONSENT_FORMS_KEY, [])
        digest = _consent_digest(form.cleaned_data, form.cleaned_data.get("scope", "").split())
        if digest not in shown:
            error = CustomOAuth2Error(
                error="invalid_request",
                description="This consent form has expired. Go back to the application "
                "and sign in again.",
            )
            return self.error_response(FatalClientError(error=error), None)
        self.request.session[CONSENT_FORMS_KEY] = [d for d in shown if d != digest]
        response = super().form_valid(form)
        location = response.get("Location", "")
        if form.cleaned_data.get("allow") and "code=" in location:
            application = Application.objects.get(client_id=form.cleaned_data["client_id"])
            consent_grant(
                user=self.request.user,
                application=application,
                scopes=form.cleaned_data.get("scope", "").split(),
                request=self.request,
            )
        return response

    def error_response(self, error, application, **kwargs) -> HttpResponse:
        """Redirect a client error back with ``iss`` (RFC 9207), or show our error page."""
        redirect, response = OAuthLibMixin.error_response(self, error, **kwargs)
        if redirect:
            issuer = oauth2_settings.OIDC_ISS_ENDPOINT
            return self.redirect(_add_iss_to_redirect(response["url"], issuer), application)
        return self.render_to_response(response, status=response["error"].status_code)

    def _error(
        self,
        credentials: dict,
        error: str,
        description: str,
        application: AbstractApplication | None = None,
    ) -> HttpResponse:
        """Send an OIDC Core 1.0 §3.1.2.6 error to the validated redirect URI."""
        oauth_error = CustomOAuth2Error(
            error=error,
            description=description,
            state=credentials.get("state"),
        )
        return self.error_response(
            OAuthToolkitError(error=oauth_error, redirect_uri=credentials["redirect_uri"]),
            application,
        )

    def _must_sign_in_again(
        self,
        request: HttpRequest,
        *,
        prompt: set[str],
        max_age: int | None,
        hint_sub: str | None,
        mfa_asked: bool,
    ) -> bool:
        """Return whether a fresh sign-in is needed before a code may go out.

        A request that comes back with our stamp proves a new sign-in only if the sign-in
        happened after the stamp was issued: following the sign-in page's ``next`` link
        without signing in leads straight back to it. ``acr_values`` asking for two factors
        (step-up) sends a single-factor session to sign in again; the sign-in asks every
        user who has a second factor for it, so the new session's amr has ``mfa`` unless the
        user has none, which the ID token's ``acr`` then tells the client (OIDC Core 1.0
        §3.1.2.1: acr_values is a voluntary request; the client decides).
        """
        auth_time = request.session.get(constants.SESSION_AUTH_TIME_KEY)
        if not isinstance(auth_time, int | float):
            return True
        if constants.REAUTH_PARAM in request.GET:
            asked_at = _reauth_stamp_time(request)
            return asked_at is None or auth_time < asked_at
        if mfa_asked and constants.AMR_MFA not in request.session.get(
            constants.SESSION_AMR_KEY, []
        ):
            return True
        # OIDC Core 1.0 §3.1.2.1: max_age=0 asks for a new sign-in, like prompt=login.
        if constants.PROMPT_LOGIN in prompt or max_age == 0:
            return True
        if max_age is not None and time.time() - auth_time > max_age:
            return True
        return hint_sub is not None and hint_sub != str(request.user.sub)

    def _sign_in_again(
        self, request: HttpRequest, *, message: str = "Please sign in again to continue."
    ) -> HttpResponse:
        """Send the user to the sign-in form, then back here with a stamp bound to the request."""
        query = request.GET.copy()
        others = [value for value in query.get("prompt", "").split() if value != "login"]
        if others:
            query["prompt"] = " ".join(others)
        else:
            query.pop("prompt", None)
        stamp = {"t": time.time(), "d": _request_digest(request)}
        query[constants.REAUTH_PARAM] = signing.dumps(stamp, salt=REAUTH_SALT)
        if message:
            messages.info(request, message)
        return redirect_to_login(
            f"{request.path}?{query.urlencode()}", resolve_url(settings.LOGIN_URL), "next"
        )

    def _consent_form(
        self, scopes: list[str], credentials: dict, application: AbstractApplication
    ) -> HttpResponse:
        """Render the consent form, its hidden fields carrying the validated request."""
        all_scopes = get_scopes_backend().get_all_scopes()
        context = {
            "application": application,
            "scopes": scopes,
            "scopes_descriptions": [all_scopes[scope] for scope in scopes],
            **{key: _form_value(credentials[key]) for key in CONSENT_FIELDS if key in credentials},
        }
        self.oauth2_data = context
        # A few recent forms: the user may have several tabs asking at once.
        shown = self.request.session.get(CONSENT_FORMS_KEY, [])[-4:]
        self.request.session[CONSENT_FORMS_KEY] = [*shown, _consent_digest(credentials, scopes)]
        context["form"] = self.get_form(self.get_form_class())
        return self.render_to_response(self.get_context_data(**context))
