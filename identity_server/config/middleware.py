"""Project middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.views import bad_request


class RejectNulMiddleware:
    """Answer 400 to a query or form value holding a NUL character.

    No legitimate parameter holds one, and PostgreSQL refuses it in a query with an error
    that would otherwise surface as a 500 (a code, a client_id, an email).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Refuse the request before any view reads the value."""
        if _has_nul(request):
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
