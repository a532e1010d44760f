"""Project-wide views: the readiness probe, the home page and the error pages."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.static import serve


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 once the database answers a query (the readiness probe of the contract)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


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
    """500: our fault; the template must not need anything that could fail again."""
    return _error(request, 500, "Server error", "Something went wrong on our side.")
