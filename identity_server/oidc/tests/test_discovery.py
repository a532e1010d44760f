"""Discovery, JWKS and the endpoints that are deliberately absent."""

import pytest
from django.test import Client
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

pytestmark = pytest.mark.django_db


def test_discovery_advertises_logout_support():
    """The issuer comes from settings; logout and back-channel support are advertised."""
    data = Client().get("/o/.well-known/openid-configuration").json()

    assert data["issuer"] == "http://localhost:8000/o"
    assert data["end_session_endpoint"].endswith("/o/logout/")
    assert data["backchannel_logout_supported"] is True
    assert data["backchannel_logout_session_supported"] is True
    assert data["authorization_response_iss_parameter_supported"] is True
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["response_types_supported"] == ["code"]
    assert {"sub", "sid", "auth_time", "groups", "picture"} <= set(data["claims_supported"])
    assert set(data["scopes_supported"]) == {"openid", "profile", "email", "phone", "groups"}


def test_discovery_issuer_ignores_the_host_header():
    """A forged Host does not change the issuer."""
    data = Client().get("/o/.well-known/openid-configuration", HTTP_HOST="127.0.0.1").json()

    assert data["issuer"] == "http://localhost:8000/o"


def test_jwks_publishes_the_current_and_the_retired_key():
    """Tokens signed before a key rotation still verify: the retired key stays published."""
    keys = Client().get("/o/.well-known/jwks.json").json()["keys"]

    current = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode()).thumbprint()
    retired = jwk.JWK.from_pem(
        oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE[0].encode()
    ).thumbprint()
    assert [key["kid"] for key in keys] == [current, retired]
    assert all(key["alg"] == "RS256" and "d" not in key for key in keys)


def test_application_management_views_are_not_mounted(user):
    """DOT's self-service client registration is absent, even for a signed-in user."""
    browser = Client()
    browser.force_login(user)

    assert browser.get("/o/applications/").status_code == 404
    assert browser.get("/o/applications/register/").status_code == 404
    assert browser.get("/o/authorized_tokens/").status_code == 404
