"""Tokens stay in their lane: only access tokens are bearer credentials, and only briefly."""

import base64

import pytest
from conftest import PASSWORD
from django.test import Client
from oauth2_provider.models import AccessToken

from oidc.tests.flow import (
    SHOP_A_CALLBACK,
    code_get,
    id_token_claims,
    pkce_make,
    token_exchange,
    tokens_get,
)

pytestmark = pytest.mark.django_db


def _userinfo(token: str):
    return Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")


def _refresh(client_id: str, secret: str, refresh_token: str):
    return Client().post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": secret,
        },
    )


@pytest.fixture
def tokens(browser, shop_a) -> dict:
    """Shop A's tokens for Alice, signed in in ``browser``."""
    application, secret = shop_a
    return tokens_get(browser, application.client_id, secret)


def test_an_id_token_is_no_bearer_token_for_the_api(tokens):
    """/api/me/ refuses an ID token; the access token works."""
    refused = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['id_token']}")
    accepted = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert accepted.status_code == 200


def test_an_id_token_is_no_bearer_token_at_userinfo(tokens):
    """Userinfo refuses an ID token with invalid_token."""
    response = _userinfo(tokens["id_token"])

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_userinfo_refuses_a_token_in_the_query(tokens):
    """RFC 9700 §4.3.2: /o/userinfo/?access_token=... is refused with a reason."""
    response = Client().get("/o/userinfo/", {"access_token": tokens["access_token"]})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_userinfo_without_a_token_gets_a_bare_challenge():
    """RFC 6750 §3.1: no credentials, no error code in the challenge."""
    response = Client().get("/o/userinfo/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="http://localhost:8000/o"'


def test_userinfo_is_never_cached(tokens):
    """OIDC Core 1.0 §5.3.2 answers carry Cache-Control: no-store."""
    response = _userinfo(tokens["access_token"])

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_token_lifetimes_are_minutes(tokens):
    """Access and ID tokens live 5 minutes by default, not 10 hours."""
    claims = id_token_claims(tokens["id_token"])

    assert tokens["expires_in"] == 300
    assert claims["exp"] - claims["iat"] == 300


def test_a_replayed_code_revokes_what_its_first_use_issued(browser, shop_a):
    """RFC 6749 §4.1.2: the second use of a code revokes the first use's tokens."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    first = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()

    replay = token_exchange(browser, application.client_id, secret, code, pkce.verifier)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert _userinfo(first["access_token"]).status_code == 401
    assert _refresh(application.client_id, secret, first["refresh_token"]).status_code == 400
    assert not AccessToken.objects.exists()


def test_the_redirect_uri_is_required_at_the_token_endpoint(browser, shop_a):
    """RFC 6749 §4.1.3: a code issued for a redirect_uri is redeemed only with it."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    response = browser.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": application.client_id,
            "client_secret": secret,
            "code_verifier": pkce.verifier,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_signing_out_at_the_idp_revokes_that_sessions_tokens(browser, user, shop_a):
    """Sign-out ends the access and refresh tokens of that IdP session, not another's."""
    application, secret = shop_a
    ours = tokens_get(browser, application.client_id, secret)
    other_browser = Client()
    other_browser.post("/account/login/", {"username": user.email, "password": PASSWORD})
    theirs = tokens_get(other_browser, application.client_id, secret)

    browser.post("/account/logout/")

    assert _userinfo(ours["access_token"]).status_code == 401
    assert _refresh(application.client_id, secret, ours["refresh_token"]).status_code == 400
    assert _userinfo(theirs["access_token"]).status_code == 200


def test_a_deactivated_users_access_token_is_refused(user, tokens):
    """A disabled account's token stops working at once."""
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert _userinfo(tokens["access_token"]).status_code == 401


def test_a_failed_basic_authentication_is_challenged_with_basic(browser, shop_a):
    """RFC 6749 §5.2: 401 invalid_client carries WWW-Authenticate: Basic."""
    application, _ = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    credentials = base64.b64encode(f"{application.client_id}:wrong".encode()).decode()

    response = Client().post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": SHOP_A_CALLBACK,
            "code_verifier": pkce.verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_a_nul_in_the_code_is_a_clean_400(shop_a):
    """A NUL byte reaches no database: 400 JSON, not a 500."""
    application, secret = shop_a

    response = Client().post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": "abc\x00def",
            "redirect_uri": SHOP_A_CALLBACK,
            "client_id": application.client_id,
            "client_secret": secret,
        },
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_a_port_above_65535_in_the_redirect_uri_is_refused(browser, shop_a):
    """A malformed redirect_uri is a clear error page, never a 500."""
    application, _ = shop_a

    response = browser.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": application.client_id,
            "redirect_uri": "http://localhost:99999/oidc/callback/",
            "scope": "openid",
            "code_challenge": pkce_make().challenge,
            "code_challenge_method": "S256",
        },
    )

    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/"])
def test_a_get_at_a_post_endpoint_is_a_json_405(path):
    """The token and revocation endpoints answer a GET with a JSON reason."""
    response = Client().get(path)

    assert response.status_code == 405
    assert response.json() == {"error": "invalid_request", "error_description": "Use POST."}


def test_userinfo_without_the_openid_scope_is_insufficient_scope(browser, shop_a):
    """A plain OAuth token (no openid scope) gets 403 with an insufficient_scope challenge."""
    application, secret = shop_a
    tokens = tokens_get(browser, application.client_id, secret, scope="profile")

    response = _userinfo(tokens["access_token"])

    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "grant_type",
    ["urn:ietf:params:oauth:grant-type:device_code", "password", "implicit", ""],
)
def test_grants_not_offered_are_unsupported(shop_a, grant_type):
    """Only the code, refresh and client credentials grants exist: others are unsupported."""
    application, secret = shop_a

    response = Client().post(
        "/o/token/",
        {"grant_type": grant_type, "client_id": application.client_id, "client_secret": secret},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_a_broken_percent_escape_is_a_clean_400():
    """A query string oauthlib cannot decode is refused up front, not a 500."""
    response = Client().post("/o/token/?a=%zz", {"grant_type": "authorization_code"})

    assert response.status_code == 400
