"""The authorization endpoint: exact redirect URIs, consent, clear error pages."""

import pytest
from django.test import Client
from oauth2_provider.models import Grant

from oidc.tests.flow import (
    SHOP_A_CALLBACK,
    SHOP_B_CALLBACK,
    authorize_params,
    pkce_make,
    query,
)

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in_with_next(shop_a):
    """/o/authorize/ without a session goes to /account/login/?next=<the request>."""
    application, _ = shop_a

    response = Client().get("/o/authorize/", authorize_params(application.client_id, pkce_make()))

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/o/authorize/")


def test_another_shops_callback_is_refused(browser, shop_a, shop_b):
    """Shop A's client cannot send the code to shop B's callback: error page, no redirect."""
    application, _ = shop_a
    params = authorize_params(application.client_id, pkce_make(), redirect_uri=SHOP_B_CALLBACK)

    response = browser.get("/o/authorize/", params)

    assert response.status_code == 400
    assert "cannot be completed" in response.content.decode()
    assert "Location" not in response
    assert not Grant.objects.exists()


def test_loopback_with_another_port_is_refused(browser, shop_a):
    """RFC 8252's any-port loopback rule does not apply to a client registered on localhost."""
    application, _ = shop_a
    params = authorize_params(
        application.client_id, pkce_make(), redirect_uri="http://127.0.0.1:54321/callback"
    )

    response = browser.get("/o/authorize/", params)

    assert response.status_code == 400
    assert "Location" not in response
    assert not Grant.objects.exists()


def test_extra_query_on_the_redirect_uri_is_refused(browser, shop_a):
    """RFC 9700 §4.1.1: exact string matching, no added parameters."""
    application, _ = shop_a
    params = authorize_params(
        application.client_id,
        pkce_make(),
        redirect_uri="http://localhost:8001/oidc/callback/?evil=1",
    )

    response = browser.get("/o/authorize/", params)

    assert response.status_code == 400
    assert not Grant.objects.exists()


def test_unknown_client_shows_a_clear_error_page(browser):
    """An unknown client_id renders our error page, not a 500."""
    response = browser.get("/o/authorize/", authorize_params("no-such-client", pkce_make()))

    html = response.content.decode()
    assert response.status_code == 400
    assert "<strong>invalid_request</strong>" in html
    assert "cannot be completed" in html
    assert "Location" not in response


def test_first_party_skips_consent(browser, shop_a):
    """A first-party shop gets the code without a consent screen."""
    application, _ = shop_a

    response = browser.get("/o/authorize/", authorize_params(application.client_id, pkce_make()))

    assert response.status_code == 302
    assert response["Location"].startswith(SHOP_A_CALLBACK)
    assert query(response["Location"])["code"] == Grant.objects.get(application=application).code


def test_third_party_sees_consent_and_deny_sends_no_code(browser, third_party):
    """A third-party client shows Allow/Deny; Deny returns access_denied and no grant."""
    application, _ = third_party
    params = authorize_params(
        application.client_id, pkce_make(), redirect_uri="https://partner.example.net/callback"
    )

    page = browser.get("/o/authorize/", params)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Allow Partner App to use your account?" in html
    assert "Your email address" in html
    denied = browser.post("/o/authorize/", params)  # the Deny button sends no "allow"
    assert denied.status_code == 302
    assert query(denied["Location"])["error"] == "access_denied"
    assert not Grant.objects.exists()


def test_third_party_allow_issues_a_code(browser, third_party):
    """Allow on the consent screen redirects with a code and the issuer."""
    application, _ = third_party
    params = authorize_params(
        application.client_id, pkce_make(), redirect_uri="https://partner.example.net/callback"
    )
    browser.get("/o/authorize/", params)

    allowed = browser.post("/o/authorize/", {**params, "allow": "Authorize"})

    assert allowed.status_code == 302
    assert allowed["Location"].startswith("https://partner.example.net/callback?")
    assert query(allowed["Location"])["iss"] == "http://localhost:8000/o"
    assert Grant.objects.filter(application=application).count() == 1
