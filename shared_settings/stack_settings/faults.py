"""Answer "try again shortly" (503) instead of "server error" (500) while the database is down.

Django turns an exception into a response inside each middleware, so no outer middleware sees
it: the one place every unhandled exception reaches, from a view or from a middleware (the
session being saved), is the root URLconf's ``handler500``. Each project's handler asks
``database_unavailable()`` first and answers with ``unavailable_response()`` when it is so.
Persistent connections are checked before reuse (``stack_settings.database``), so the first
request after the database is back reconnects: nothing needs a restart.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.views import defaults

# RFC 9110 §10.2.3: when to try again. A restarted database is usually back within seconds.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_TITLE = "Try again shortly"
UNAVAILABLE_MESSAGE = "The service is briefly unavailable. Please try again shortly."
# Where an API client, not a person, is the usual caller: the answer is JSON unless the client
# asks for HTML (a browser sent to /o/authorize/ or /oidc/callback/ gets the page).
JSON_PATH_PREFIXES = ("/o/", "/api/", "/oidc/")


def database_unavailable() -> bool:
    """Return whether the exception being handled comes from a database that cannot be reached.

    ``OperationalError`` (connection refused, timed out, server gone) and ``InterfaceError``
    (connection already closed), also when another exception was raised from one of them.
    """
    error: BaseException | None = sys.exc_info()[1]
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def wants_json(request: HttpRequest, *, prefixes: tuple[str, ...] = JSON_PATH_PREFIXES) -> bool:
    """Return whether the error answer to ``request`` is JSON rather than a page."""
    return request.path.startswith(prefixes) and "text/html" not in request.headers.get(
        "Accept", ""
    )


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """Return 503 with Retry-After: JSON for API clients, else the ``503.html`` page.

    The page is rendered without the request (no context processors): they could read the
    user and so the database that just failed.
    """
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": "temporarily_unavailable", "error_description": UNAVAILABLE_MESSAGE},
            status=503,
        )
    else:
        try:
            body = loader.render_to_string(
                "503.html", {"title": UNAVAILABLE_TITLE, "message": UNAVAILABLE_MESSAGE}
            )
        except TemplateDoesNotExist:
            body = UNAVAILABLE_MESSAGE
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """Answer 503 while the database is down, else Django's 500 page (a ``handler500``)."""
    if database_unavailable():
        return unavailable_response(request)
    return defaults.server_error(request, template_name=template_name)
