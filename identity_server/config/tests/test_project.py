"""Project-wide behaviour: liveness probe, cookies, error pages."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(django_assert_num_queries):
    """The liveness probe: the process answers, whatever the database does."""
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_own_cookie_names():
    """Shops on other ports of localhost must not overwrite the IdP's cookies."""
    assert settings.SESSION_COOKIE_NAME == "idp_sessionid"
    assert settings.CSRF_COOKIE_NAME == "idp_csrftoken"
    assert settings.CSRF_TRUSTED_ORIGINS == ["http://localhost:8000"]


def test_unknown_page_renders_the_404_template():
    """A missing page is our styled 404, not Django's debug page."""
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "There is no page at this address." in response.content.decode()


def test_unknown_api_path_is_json():
    """Under /api/ the 404 is JSON with a reason."""
    response = Client().get("/api/nothing/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_server_error_page(client, monkeypatch):
    """An unexpected exception renders the 500 template."""
    client.raise_request_exception = False
    monkeypatch.setattr("config.views.redirect", lambda to: 1 / 0)

    response = client.get("/")

    assert response.status_code == 500
    assert "Something went wrong on our side." in response.content.decode()
