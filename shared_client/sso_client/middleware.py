"""Middleware of sso_client."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sso_client.recheck import sso_session_recheck


class SessionRecheckMiddleware:
    """Never serve an SSO session the provider has ended for longer than the re-check bound.

    Put it after django.contrib.auth.middleware.AuthenticationMiddleware. Only the request
    whose session is due pays for the check (one introspection request to the provider).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "session") and hasattr(request, "user"):
            sso_session_recheck(request=request)
        return self.get_response(request)
