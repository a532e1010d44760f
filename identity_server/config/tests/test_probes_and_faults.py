"""/readyz names what is not ready; a database that cannot be reached answers 503, not 500."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from oauth2_provider.settings import oauth2_settings

pytestmark = pytest.mark.django_db


def unreachable_database(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 1 failed: refused')


@pytest.fixture
def database_down(monkeypatch):
    """Every request fails where IdP sessions are checked, in a middleware, as a dead database
    makes it fail; a Client that answers like the server does instead of raising."""
    monkeypatch.setattr(
        "accounts.middleware.IdPSessionTimeoutMiddleware._end_reason", unreachable_database
    )
    return Client(raise_request_exception=False)


def test_readyz_reports_each_check():
    """Database, cache and signing key ready: 200 naming each."""
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "signing_key": "ok"},
    }


def test_readyz_names_a_cache_that_loses_values(monkeypatch):
    """A cache that does not return what was written: 503, the cache named, the rest ok."""
    monkeypatch.setattr("stack_settings.health.cache.get", lambda key: None)

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "failed: RuntimeError",
        "signing_key": "ok",
    }


def test_readyz_names_an_unusable_signing_key(monkeypatch):
    monkeypatch.setattr(oauth2_settings, "OIDC_RSA_PRIVATE_KEY", "not a key")

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["signing_key"].startswith("failed: ")


def test_readyz_names_the_database(monkeypatch):
    monkeypatch.setattr("stack_settings.health.connection.cursor", unreachable_database)

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed: OperationalError"


def test_a_page_answers_try_again_shortly(database_down):
    """A person gets the 503 page with Retry-After, not the 500 page."""
    response = database_down.get("/account/login/", HTTP_ACCEPT="text/html")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Please try again shortly." in body
    assert "Something went wrong on our side." not in body


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/o/token/"), ("get", "/api/me/"), ("get", "/o/userinfo/")]
)
def test_api_and_oauth_endpoints_answer_json(database_down, method, path):
    response = getattr(database_down, method)(path, HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"


def test_a_browser_sent_to_authorize_gets_the_page(database_down):
    response = database_down.get("/o/authorize/", HTTP_ACCEPT="text/html,*/*")

    assert response.status_code == 503
    assert "Try again shortly" in response.content.decode()


def test_an_error_raised_from_a_closed_connection_is_recognised(client, monkeypatch):
    """InterfaceError (connection already closed), here behind another exception, is a 503."""

    def closed(to):
        try:
            raise InterfaceError("connection already closed")
        except InterfaceError as error:
            raise RuntimeError("while rendering") from error

    client.raise_request_exception = False
    monkeypatch.setattr("config.views.redirect", closed)

    response = client.get("/")

    assert response.status_code == 503
