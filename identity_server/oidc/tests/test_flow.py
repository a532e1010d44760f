"""The authorization-code flow with PKCE, end to end through Django's test client."""

import base64
import hashlib

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from oidc.models import IdPSession, SessionClient
from oidc.tests.flow import (
    SHOP_A_CALLBACK,
    authorize_params,
    code_get,
    id_token_claims,
    pkce_make,
    query,
    token_exchange,
)

pytestmark = pytest.mark.django_db
ISSUER = "http://localhost:8000/o"


def at_hash(access_token: str) -> str:
    """OIDC Core 1.0 §3.1.3.6: left half of SHA-256, base64url."""
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_full_flow_issues_id_token_with_session_claims(browser, user, shop_a):
    """A first-party shop gets a code at once, then tokens whose ID token names the session."""
    application, secret = shop_a
    pkce = pkce_make()

    response = browser.get("/o/authorize/", authorize_params(application.client_id, pkce))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(SHOP_A_CALLBACK)
    params = query(location)
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER  # RFC 9207
    token = token_exchange(browser, application.client_id, secret, params["code"], pkce.verifier)
    assert token.status_code == 200, token.content
    body = token.json()
    claims = id_token_claims(body["id_token"])
    session = IdPSession.objects.get(user=user)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == application.client_id
    assert claims["sub"] == str(user.sub)
    assert claims["sub"] != str(user.pk)
    assert claims["sid"] == session.sid
    assert claims["sid"] == browser.session["idp_sid"]
    assert claims["auth_time"] == int(session.auth_time.timestamp())
    assert claims["auth_time"] == int(browser.session["idp_auth_time"])
    assert claims["nonce"] == "nonce-456"
    assert claims["at_hash"] == at_hash(body["access_token"])
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "Alice Liddell"
    assert claims["groups"] == []
    assert SessionClient.objects.filter(session=session, application=application).count() == 1


def test_userinfo_returns_the_same_claims(browser, user, shop_a):
    """/o/userinfo/ answers the access token's owner, by scope, without sid."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope="openid email")
    access = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()

    response = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access['access_token']}")

    assert response.status_code == 200
    assert response.json() == {
        "sub": str(user.sub),
        "email": "alice@example.com",
        "email_verified": True,
    }


def test_access_token_in_query_string_is_refused(browser, shop_a):
    """RFC 9700 §4.3.2: a bearer token in the URL is not accepted."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    access = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()

    response = Client().get("/api/me/", {"access_token": access["access_token"]})

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_missing_pkce_is_refused(browser, shop_a):
    """RFC 9700 §2.1.1: an authorization request without code_challenge gets no code."""
    application, _secret = shop_a
    params = authorize_params(
        application.client_id, pkce_make(), code_challenge=None, code_challenge_method=None
    )

    response = browser.get("/o/authorize/", params)

    assert response.status_code == 302
    assert query(response["Location"])["error"] == "invalid_request"
    assert "code" not in query(response["Location"])
    assert not Grant.objects.exists()


def test_plain_pkce_is_refused(browser, shop_a):
    """RFC 9700 §2.1.1: code_challenge_method=plain is refused, no code issued."""
    application, _secret = shop_a
    pkce = pkce_make()
    params = authorize_params(
        application.client_id, pkce, code_challenge=pkce.verifier, code_challenge_method="plain"
    )

    response = browser.get("/o/authorize/", params)

    assert response.status_code == 302
    assert query(response["Location"])["error"] == "invalid_request"
    assert "code" not in query(response["Location"])
    assert not Grant.objects.exists()


def test_wrong_code_verifier_is_refused(browser, shop_a):
    """A code is only exchanged with the verifier that matches its challenge."""
    application, secret = shop_a
    code = code_get(browser, application.client_id, pkce_make())

    response = token_exchange(browser, application.client_id, secret, code, "x" * 50)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_replayed_code_is_refused(browser, shop_a):
    """A code works once (RFC 6749 §4.1.2)."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    first = token_exchange(browser, application.client_id, secret, code, pkce.verifier)

    second = token_exchange(browser, application.client_id, secret, code, pkce.verifier)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_refused(browser, shop_a):
    """The token endpoint checks the confidential client's secret."""
    application, _secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    response = token_exchange(browser, application.client_id, "not-the-secret", code, pkce.verifier)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert Grant.objects.filter(code=code).exists()


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(browser, user, shop_a):
    """RFC 9700 §4.14.2: each refresh returns a new refresh token; replay kills the family."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    first = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": application.client_id,
        "client_secret": secret,
    }

    second = browser.post("/o/token/", {**refresh, "refresh_token": first["refresh_token"]})

    assert second.status_code == 200, second.content
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert id_token_claims(rotated["id_token"])["sid"] == browser.session["idp_sid"]

    replay = browser.post("/o/token/", {**refresh, "refresh_token": first["refresh_token"]})

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    after = browser.post("/o/token/", {**refresh, "refresh_token": rotated["refresh_token"]})
    assert after.status_code == 400
    assert not RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()


def test_tokens_are_stored_hashed(browser, shop_a):
    """RFC 9700 §4: the database holds only SHA-256 checksums of access and refresh tokens."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    body = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()

    access, refresh = AccessToken.objects.get(), RefreshToken.objects.get()

    assert access.token == ""
    assert access.token_checksum == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert refresh.token == ""
    assert refresh.token_checksum == hashlib.sha256(body["refresh_token"].encode()).hexdigest()
