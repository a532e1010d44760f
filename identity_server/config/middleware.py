"""Project middleware."""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.views import bad_request

# A percent sign not followed by two hex digits (oauthlib raises on it, RFC 3986 §2.1).
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class RejectMalformedInputMiddleware:
    """Answer 400 to a request no endpoint could read safely.

    A NUL character in a query or form value (no legitimate parameter holds one, and
    PostgreSQL refuses it with an error that would surface as a 500), or a broken percent-escape
    in the query string (oauthlib raises on it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Refuse the request before any view reads it."""
        if _BROKEN_ESCAPE.search(request.META.get("QUERY_STRING", "")) or _has_nul(request):
            return bad_request(request)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    params = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        params.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for query in params
        for key, values in query.lists()
    )
