"""HTTP to the provider: discovery and JWKS here, the error mapping the backend shares, and
the request id every call to the provider carries.

A request id lets one sign-in be followed through the logs of the shop and the provider:
``RequestIdMiddleware`` takes the current request's ``X-Request-ID`` (which the host
project's own middleware, or a proxy in front, sets), and ``provider_headers()`` adds it to
each call to the provider.

Every call goes through ``provider_session()``: a keep-alive connection per thread, instead
of a TCP (and TLS) connection opened and closed per call at both ends.
"""

import http.cookiejar
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote_plus

import requests
from django.http import HttpRequest, HttpResponse

from sso_client.conf import sso_settings
from sso_client.exceptions import ProviderMisconfigured, ProviderUnavailable, SSOError

REQUEST_ID_HEADER = "X-Request-ID"
# Forwarded only when bounded and of characters that cannot break a header or a log line.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_request_id: ContextVar[str | None] = ContextVar("sso_client_request_id", default=None)
_sessions = threading.local()


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Refuse every cookie: one session carries the calls made for every user of a thread."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def provider_session() -> requests.Session:
    """Return this thread's `requests` session for calls to the provider (keep-alive).

    One per thread and process: a Session's connection pool is shared safely, its other state
    is not, and a forked worker must not share its parent's sockets. It keeps no cookies, so
    nothing from one user's call reaches another's; timeouts, TLS verification and headers
    (provider_headers) are given per call, as before. A connection the provider closed while
    idle is replaced when taken from the pool (urllib3); nothing is retried, so a code is
    never sent twice.
    """
    pid = os.getpid()
    if getattr(_sessions, "pid", None) != pid:
        session = requests.Session()
        session.cookies.set_policy(_NoCookies())
        _sessions.session, _sessions.pid = session, pid
    return _sessions.session


def client_basic_auth() -> requests.auth.HTTPBasicAuth:
    """Return SSO_CLIENT's CLIENT_ID and CLIENT_SECRET as client_secret_basic credentials.

    RFC 6749 §2.3.1: each is form-encoded (application/x-www-form-urlencoded) before the two
    are joined for HTTP Basic, so a `:`, `+` or space in a secret reaches the provider intact.
    """
    return requests.auth.HTTPBasicAuth(
        quote_plus(sso_settings.CLIENT_ID or ""), quote_plus(sso_settings.CLIENT_SECRET or "")
    )


class RequestIdMiddleware:
    """Remember the request's ``X-Request-ID`` while it runs, for the calls to the provider.

    Place it after the middleware that assigns request ids, if any. A missing or malformed id
    is not forwarded.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request.META.get("HTTP_X_REQUEST_ID", "")
        token = _request_id.set(value if REQUEST_ID_PATTERN.fullmatch(value) else None)
        try:
            return self.get_response(request)
        finally:
            _request_id.reset(token)


def provider_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``headers`` plus the current request's ``X-Request-ID``, if there is one."""
    headers = dict(headers or {})
    request_id = _request_id.get()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


@contextmanager
def provider_errors(what: str, *, client_error: type[SSOError]) -> Iterator[None]:
    """Turn a failed request to the provider into the SSOError a person is shown.

    A 5xx or a network failure is ProviderUnavailable; a 4xx is `client_error`; a body that is
    not JSON, or an endpoint that is not a URL, is ProviderMisconfigured.
    """
    try:
        yield
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        error_class = ProviderUnavailable if status >= 500 else client_error
        raise error_class(f"{what} answered {status}") from exc
    # Before RequestException: requests' JSONDecodeError and MissingSchema are both.
    except ValueError as exc:
        raise ProviderMisconfigured(f"{what}: {exc.__class__.__name__}") from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{what}: {exc.__class__.__name__}") from exc


def json_object(document: Any, *, what: str) -> dict[str, Any]:
    """Return `document` if it is a JSON object, else raise ProviderMisconfigured."""
    if not isinstance(document, dict):
        raise ProviderMisconfigured(f"{what} is not a JSON object")
    return document


def provider_json_get(*, url: str) -> dict[str, Any]:
    """Return the JSON object at `url`, or raise ProviderUnavailable/ProviderMisconfigured."""
    with provider_errors(f"GET {url}", client_error=ProviderMisconfigured):
        response = provider_session().get(
            url,
            timeout=sso_settings.TIMEOUT,
            verify=sso_settings.VERIFY_SSL,
            headers=provider_headers({"Accept": "application/json"}),
        )
        response.raise_for_status()
        return json_object(response.json(), what=f"GET {url}")
