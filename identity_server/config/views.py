"""Project-wide views: the home page, uploaded media and the error pages.

The probes ``/healthz`` and ``/readyz`` are stack_settings.health's, with the readiness check
of the signing key below.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import requires_csrf_token
from django.views.static import serve
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from stack_settings import faults


def signing_key_check() -> None:
    """Raise unless the ID token signing key is loaded and holds its private part."""
    if not jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY).has_private:
        raise ValueError("the signing key has no private part")


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Serve an uploaded file (avatars), also with DEBUG off.

    The ``picture`` claim points here and the embedded deployment has no separate web
    server; a reverse proxy or CDN can take /media/ over in front of it. ``serve`` refuses
    paths that leave MEDIA_ROOT.
    """
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def home(request: HttpRequest) -> HttpResponse:
    """Send people to their profile (or to sign in first)."""
    return redirect("accounts:profile")


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith(("/api/", "/o/")) and "text/html" not in request.headers.get(
        "Accept", ""
    ):
        return JsonResponse(
            {"error": title.lower().replace(" ", "_"), "detail": message}, status=status
        )
    return render(request, f"{status}.html", {"title": title, "message": message}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400: the request could not be understood."""
    return _error(request, 400, "Bad request", "The request could not be understood.")


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: signed in, but not allowed."""
    return _error(request, 403, "Forbidden", "You are not allowed to open this page.")


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: nothing here."""
    return _error(request, 404, "Not found", "There is no page at this address.")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """500: our fault; the template must not need anything that could fail again.

    The database being unreachable is not a bug but a moment: 503 with Retry-After
    (stack_settings.faults).
    """
    if faults.database_unavailable():
        return faults.unavailable_response(request)
    return _error(request, 500, "Server error", "Something went wrong on our side.")
