"""Passkeys: the account page, and the JSON endpoints static/js/passkeys.js calls.

The JSON endpoints take a JSON object and answer JSON; a refusal is
``{"error": <code>, "detail": <message for people>}`` with 400 (429 with Retry-After when the
sign-in throttle refused), never a redirect or an HTML page the script could not read.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import safe_next
from accounts.services import passkeys as service
from accounts.services.passkeys import PasskeyError
from accounts.services.reauth import reauth_is_recent, reauth_url, recent_auth_required

# A registration answer with a large RSA key and attestation stays far below this.
BODY_MAX_BYTES = 64 * 1024

MALFORMED_REQUEST = ("malformed_request", "The request was not a JSON object.")
REAUTH_REQUIRED = (
    "reauth_required",
    "Please confirm it is you before changing your passkeys.",
)
NOT_SIGNED_IN = (
    "not_signed_in",
    "You are not signed in any more. Please reload the page and sign in again.",
)


def _error(error: PasskeyError, **extra: str) -> JsonResponse:
    response = JsonResponse(
        {"error": error.code, "detail": error.detail, **extra},
        status=429 if error.retry_after is not None else 400,
    )
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > BODY_MAX_BYTES:
        raise PasskeyError(*MALFORMED_REQUEST)
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PasskeyError(*MALFORMED_REQUEST) from exc
    if not isinstance(body, dict):
        raise PasskeyError(*MALFORMED_REQUEST)
    return body


def json_endpoint(*, recent_auth: bool = False) -> Callable:
    """Make a view a POST-only JSON endpoint that answers PasskeyError as JSON.

    ``recent_auth``: signed-in users with a recent sign-in only, the policy of
    ``accounts.services.reauth.recent_auth_required``, answered as JSON with the
    re-authentication page's URL (a script cannot follow that decorator's redirect).
    """

    def decorate(view: Callable[..., JsonResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @never_cache
        @require_POST
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if recent_auth and not request.user.is_authenticated:
                return _error(PasskeyError(*NOT_SIGNED_IN))
            if recent_auth and not reauth_is_recent(request):
                return _error(
                    PasskeyError(*REAUTH_REQUIRED),
                    redirect=reauth_url(reverse("accounts:passkeys")),
                )
            try:
                return view(request, *args, **kwargs)
            except PasskeyError as error:
                return _error(error)

        return wrapper

    return decorate


def _next_url(request: HttpRequest) -> str:
    return safe_next(request) or settings.LOGIN_REDIRECT_URL


# The account page


@login_required
@require_http_methods(["GET"])
def passkeys(request: HttpRequest) -> HttpResponse:
    """List the user's passkeys, with a form to add one."""
    user_passkeys = service.passkeys_of(user=request.user)
    return render(
        request,
        "accounts/passkeys.html",
        {
            "passkeys": user_passkeys,
            "default_name": f"Passkey {len(user_passkeys) + 1}",
            "name_max_length": service.NAME_MAX_LENGTH,
        },
    )


@json_endpoint(recent_auth=True)
def register_options(request: HttpRequest) -> JsonResponse:
    """Answer the options for ``navigator.credentials.create``."""
    return JsonResponse(service.passkey_registration_options(request=request, user=request.user))


@json_endpoint(recent_auth=True)
def register(request: HttpRequest) -> JsonResponse:
    """Store the new passkey: ``{"name": ..., "credential": <PublicKeyCredential JSON>}``."""
    body = _json_body(request)
    passkey = service.passkey_register(
        request=request, user=request.user, name=body.get("name"), credential=body.get("credential")
    )
    messages.success(request, f"Passkey “{passkey.name}” added.")
    return JsonResponse({"redirect": reverse("accounts:passkeys")})


@login_required
@require_POST
def rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Rename a passkey (a plain form post)."""
    try:
        passkey = service.passkey_rename(
            request=request, user=request.user, passkey_id=passkey_id, name=request.POST.get("name")
        )
    except PasskeyError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Passkey renamed to “{passkey.name}”.")
    return redirect("accounts:passkeys")


@require_POST
@recent_auth_required
def remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Remove a passkey (a plain form post)."""
    if service.passkey_remove(request=request, user=request.user, passkey_id=passkey_id):
        messages.success(request, "Passkey removed. It can no longer sign you in.")
    else:
        messages.error(request, "This passkey was already removed.")
    return redirect("accounts:passkeys")


# Signing in


@json_endpoint()
def sign_in_options(request: HttpRequest) -> JsonResponse:
    """Answer the options for a password-less ``navigator.credentials.get``."""
    return JsonResponse(service.passkey_sign_in_options(request=request))


@json_endpoint()
def sign_in(request: HttpRequest) -> JsonResponse:
    """Sign in with the passkey's answer: ``{"credential": <PublicKeyCredential JSON>}``."""
    body = _json_body(request)
    service.passkey_sign_in(request=request, credential=body.get("credential"))
    return JsonResponse({"redirect": _next_url(request)})


@json_endpoint()
def second_factor_options(request: HttpRequest) -> JsonResponse:
    """Answer the options for the second step of a pending sign-in."""
    return JsonResponse(service.passkey_second_factor_options(request=request))


@json_endpoint()
def second_factor(request: HttpRequest) -> JsonResponse:
    """Complete a pending sign-in with the passkey's answer."""
    body = _json_body(request)
    service.passkey_second_factor(request=request, credential=body.get("credential"))
    return JsonResponse({"redirect": _next_url(request)})
