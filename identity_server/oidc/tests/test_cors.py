"""Browser apps (public clients): CORS for their registered origins only."""

import pytest
from django.test import Client

from oidc.services.clients import client_register
from oidc.tests.flow import code_get, pkce_make

pytestmark = pytest.mark.django_db

SPA_ORIGIN = "http://localhost:5173"
SPA_CALLBACK = f"{SPA_ORIGIN}/callback"


@pytest.fixture
def spa(db):
    """A public browser app at SPA_ORIGIN, first-party."""
    application, _ = client_register(
        name="Shop SPA",
        redirect_uris=[SPA_CALLBACK],
        post_logout_redirect_uris=[],
        first_party=True,
        public=True,
        allowed_origins=[SPA_ORIGIN],
    )
    return application


def _public_tokens(browser: Client, spa, origin: str):
    pkce = pkce_make()
    code = code_get(browser, spa.client_id, pkce, redirect_uri=SPA_CALLBACK)
    return browser.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": SPA_CALLBACK,
            "client_id": spa.client_id,
            "code_verifier": pkce.verifier,
        },
        HTTP_ORIGIN=origin,
    )


def test_a_public_client_gets_tokens_cross_origin(browser, spa):
    """The token answer is readable by the app's registered origin."""
    response = _public_tokens(browser, spa, SPA_ORIGIN)

    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response


def test_another_origin_gets_no_cors_header(browser, spa):
    """An origin the client did not register cannot read the answer."""
    response = _public_tokens(browser, spa, "http://localhost:6666")

    assert "Access-Control-Allow-Origin" not in response


def test_userinfo_and_revocation_answer_the_registered_origin(browser, spa):
    """Userinfo and revocation are readable from the app's origin."""
    tokens = _public_tokens(browser, spa, SPA_ORIGIN).json()

    userinfo = Client().get(
        "/o/userinfo/",
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
        HTTP_ORIGIN=SPA_ORIGIN,
    )
    revoked = Client().post(
        "/o/revoke_token/",
        {"token": tokens["refresh_token"], "client_id": spa.client_id},
        HTTP_ORIGIN=SPA_ORIGIN,
    )

    assert userinfo.status_code == 200
    assert userinfo["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert revoked.status_code == 200
    assert revoked["Access-Control-Allow-Origin"] == SPA_ORIGIN


@pytest.mark.parametrize(
    "path", ["/o/token/", "/o/userinfo/", "/o/revoke_token/", "/o/.well-known/jwks.json"]
)
def test_preflight_is_answered_for_a_registered_origin(spa, path):
    """OPTIONS from the app's origin allows the call; from another origin it does not."""
    allowed = Client().options(
        path, HTTP_ORIGIN=SPA_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    refused = Client().options(
        path, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )

    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize(
    "path", ["/o/.well-known/openid-configuration", "/o/.well-known/jwks.json"]
)
def test_discovery_and_jwks_are_readable_by_registered_origins_only(spa, path):
    """No wildcard: the public documents are shared with the origins clients registered."""
    allowed = Client().get(path, HTTP_ORIGIN=SPA_ORIGIN)
    other = Client().get(path, HTTP_ORIGIN="https://evil.example")

    assert allowed["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.parametrize(
    "origin", ["http://[", "http://[::1", "null", "", "http://a:99999", "e\x00", "http://é.example"]
)
def test_a_malformed_origin_is_not_allowed_and_no_error(browser, spa, origin):
    """A broken Origin header gets no CORS header and never a 500."""
    response = _public_tokens(browser, spa, origin)
    preflight = Client().options("/o/token/", HTTP_ORIGIN=origin)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight
