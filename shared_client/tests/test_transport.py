"""HTTP to the provider: the request id it forwards, the keep-alive session, the credentials."""

import base64
import threading
import urllib.request
from http.client import HTTPMessage
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from sso_client.transport import (
    RequestIdMiddleware,
    client_basic_auth,
    provider_headers,
    provider_session,
)
from tests.conftest import ISSUER, FakeIdP, callback_query

MIDDLEWARE = "sso_client.transport.RequestIdMiddleware"


@pytest.fixture
def seen_ids(idp: FakeIdP, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """(path, X-Request-ID) of every call the fake provider answers."""
    seen: list[tuple[str, str | None]] = []
    handle = idp.handle

    def recording_handle(request: Any, timeout: Any) -> Any:
        seen.append((urlparse(request.url).path, request.headers.get("X-Request-ID")))
        return handle(request, timeout)

    monkeypatch.setattr(idp, "handle", recording_handle)
    return seen


def _headers_inside(request_id: str | None) -> dict[str, str]:
    """Return provider_headers() as a view behind the middleware sees them."""
    headers: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        headers.update(provider_headers({"Accept": "application/json"}))
        return HttpResponse()

    extra = {} if request_id is None else {"HTTP_X_REQUEST_ID": request_id}
    RequestIdMiddleware(view)(RequestFactory().get("/", **extra))
    return headers


def test_the_current_request_id_is_added_to_the_provider_headers() -> None:
    assert _headers_inside("shop-a-42") == {
        "Accept": "application/json",
        "X-Request-ID": "shop-a-42",
    }


@pytest.mark.parametrize("request_id", [None, "", "with space", "x" * 129, "a\r\nX-Evil: 1"])
def test_a_missing_or_malformed_request_id_is_not_forwarded(request_id: str | None) -> None:
    assert _headers_inside(request_id) == {"Accept": "application/json"}


def test_outside_a_request_no_request_id_is_sent() -> None:
    """A management command's calls (sso_sync...) carry none; the last request's id is gone."""
    _headers_inside("shop-a-42")
    assert provider_headers() == {}


def test_discovery_and_jwks_calls_carry_the_request_id_of_the_sign_in(
    settings, client, idp: FakeIdP, seen_ids, db
) -> None:
    """The shop's request id reaches the provider, whose logs then show the same id."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    client.defaults["HTTP_X_REQUEST_ID"] = "sign-in-7"

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert response.status_code == 302
    by_path = dict(seen_ids)
    assert by_path["/o/.well-known/openid-configuration"] == "sign-in-7"
    assert by_path["/o/.well-known/jwks.json"] == "sign-in-7"
    assert by_path["/o/token/"] == "sign-in-7", "the code exchange carries it too"


def test_calls_of_one_thread_share_a_keep_alive_session() -> None:
    """One requests.Session (one connection pool) per thread, not one per call."""
    here = provider_session()
    there: list[Any] = []
    thread = threading.Thread(target=lambda: there.append(provider_session()))
    thread.start()
    thread.join()

    assert provider_session() is here
    assert there[0] is not here


def test_the_provider_session_keeps_no_cookie() -> None:
    """A cookie the provider sets for one user's call is never sent with another's."""
    headers = HTTPMessage()
    headers["Set-Cookie"] = "idp_session=alice; Path=/"
    answer = SimpleNamespace(info=lambda: headers)
    call = urllib.request.Request(f"{ISSUER}/token/")  # noqa: S310 - built, never opened

    plain = requests.Session().cookies
    plain.extract_cookies(answer, call)  # type: ignore[arg-type]
    provider_session().cookies.extract_cookies(answer, call)  # type: ignore[arg-type]

    assert len(plain) == 1, "a plain requests.Session would keep it"
    assert len(provider_session().cookies) == 0


def test_client_credentials_are_form_encoded_before_basic(settings: Any) -> None:
    """RFC 6749 §2.3.1: a `:`, `+`, `%` or space in the id or secret is form-encoded first."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "CLIENT_ID": "shop a", "CLIENT_SECRET": "s:+%/é"}
    call = requests.Request("POST", f"{ISSUER}/token/", auth=client_basic_auth()).prepare()

    scheme, _, encoded = call.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "shop+a:s%3A%2B%25%2F%C3%A9"
