"""Cross-origin access for browser apps (public clients), from each client's allowed origins.

A single-page app calls the token, userinfo and revocation endpoints, discovery and the JWKS
from its own origin. Only origins a client registered (``oidc_client add --allowed-origin``)
get an ``Access-Control-Allow-Origin``; no cookies are involved, so credentials are never
allowed.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from oauth2_provider.models import AbstractApplication, get_application_model

Application = get_application_model()

PREFLIGHT_MAX_AGE_SECONDS = 600
MAX_ORIGIN_LENGTH = 300


def origin_allowed(application: AbstractApplication, origin: str) -> bool:
    """Return whether ``application`` registered ``origin``; a malformed Origin is not."""
    try:
        return bool(application.origin_allowed(origin))
    except ValueError:
        return False


def origin_registered(origin: str) -> bool:
    """Return whether any client lists ``origin`` among its allowed origins."""
    if not origin.isascii() or not origin.isprintable() or len(origin) > MAX_ORIGIN_LENGTH:
        return False  # no registered origin looks like that (and a NUL would reach the query)
    candidates = Application.objects.filter(allowed_origins__contains=origin).only(
        "allowed_origins"
    )
    return any(origin_allowed(application, origin) for application in candidates)


def cors_allow(
    request: HttpRequest, response: HttpResponse, *, client_id: str | None = None
) -> HttpResponse:
    """Let the request's origin read ``response`` if it is registered.

    With ``client_id`` (the client the request names, "" for none), the origin must be one of
    that client's; without, any client's. Nothing is looked up without an Origin header, so
    server-to-server requests (the shops) pay nothing.
    """
    patch_vary_headers(response, ["Origin"])
    origin = request.headers.get("Origin")
    if not origin:
        return response
    if client_id is None:
        allowed = origin_registered(origin)
    else:
        application = Application.objects.filter(client_id=client_id).first() if client_id else None
        allowed = application is not None and origin_allowed(application, origin)
    if allowed:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "WWW-Authenticate"
    return response


def cors_preflight(request: HttpRequest, *, methods: tuple[str, ...]) -> HttpResponse:
    """Answer a CORS preflight: allowed for an origin some client registered.

    The preflight carries no body, so the client is not known yet; the real request is
    checked against its own client again.
    """
    response = HttpResponse(status=204)
    patch_vary_headers(response, ["Origin"])
    origin = request.headers.get("Origin")
    if origin and origin_registered(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response
