"""Discovery, JWKS and the endpoints that are deliberately absent."""

import pytest
from django.test import Client
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

from oidc.services.clients import client_register

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
    assert set(data["scopes_supported"]) == {
        "openid",
        "profile",
        "email",
        "phone",
        "groups",
        "users:read",
        "users:sync",
    }


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


def test_discovery_lists_every_endpoint_and_what_it_accepts(shop_a):
    """Revocation, introspection and their auth methods; request objects marked unsupported."""
    data = Client().get("/o/.well-known/openid-configuration").json()

    assert data["revocation_endpoint"] == "http://localhost:8000/o/revoke_token/"
    assert data["introspection_endpoint"] == "http://localhost:8000/o/introspect/"
    assert data["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert data["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert data["request_parameter_supported"] is False
    assert data["request_uri_parameter_supported"] is False
    assert data["prompt_values_supported"] == ["none", "login", "consent"]
    assert data["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert data["claims_supported"] == sorted(data["claims_supported"])
    assert not {"openid", "profile", "phone"} & set(data["claims_supported"])  # scopes only


def test_discovery_offers_none_once_a_public_client_exists(db):
    """token_endpoint_auth_methods_supported includes none when browser apps are registered."""
    client_register(
        name="SPA",
        redirect_uris=["http://localhost:5173/cb"],
        post_logout_redirect_uris=[],
        public=True,
    )

    data = Client().get("/o/.well-known/openid-configuration").json()

    assert data["token_endpoint_auth_methods_supported"][-1] == "none"
    assert "none" not in data["introspection_endpoint_auth_methods_supported"]


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-authorization-server/o",
        "/.well-known/openid-configuration",
        "/o/.well-known/oauth-authorization-server",
    ],
)
def test_the_same_metadata_answers_at_the_well_known_addresses(path):
    """RFC 8414 metadata and the host root's discovery document name the same issuer."""
    expected = Client().get("/o/.well-known/openid-configuration").json()

    response = Client().get(path)

    assert response.status_code == 200
    assert response.json() == expected
    assert response.json()["issuer"] == "http://localhost:8000/o"


def test_device_flow_endpoints_are_not_mounted():
    """The device grant is not offered, so its endpoints are absent."""
    assert Client().get("/o/device/").status_code == 404
    assert Client().post("/o/device-authorization/").status_code == 404
