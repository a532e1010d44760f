"""Shop A's probes, and 503 instead of 500 while its database cannot be reached."""

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def unreachable_database(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 1 failed: refused')


@pytest.fixture
def database_down(monkeypatch) -> Client:
    """Loading a session fails as with a dead database, in the session middleware's path."""
    monkeypatch.setattr(
        "django.contrib.sessions.backends.db.SessionStore.load", unreachable_database
    )
    client = Client(raise_request_exception=False)
    client.cookies["shop_a_sessionid"] = "a-session-key"
    return client


def test_healthz_touches_no_database(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_cache() -> None:
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_names_the_database_when_it_is_down(monkeypatch) -> None:
    """The default cache is a table of the same database: both are named."""
    monkeypatch.setattr("stack_settings.health.connection.cursor", unreachable_database)

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "failed: OperationalError", "cache": "failed: OperationalError"},
    }


def test_a_page_answers_try_again_shortly(database_down: Client) -> None:
    """The customer sees the 503 page with Retry-After, not "Something went wrong"."""
    response = database_down.get("/cart/", HTTP_ACCEPT="text/html")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Try again shortly" in body
    assert "Something went wrong" not in body


def test_a_query_in_a_view_answers_503(monkeypatch) -> None:
    monkeypatch.setattr("shop.views.CatalogView.get_queryset", unreachable_database)

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 503


def test_the_sso_endpoints_answer_json(database_down: Client) -> None:
    """The identity server's back-channel calls and API clients get JSON with a reason."""
    response = database_down.post("/oidc/backchannel-logout/", HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_another_error_is_still_the_500_page(monkeypatch) -> None:
    monkeypatch.setattr("shop.views.CatalogView.get_queryset", lambda self: 1 / 0)

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
