"""Service access: the client credentials grant (RFC 6749 §4.4), for service scopes only."""

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from oidc.models import ClientOptions
from oidc.services.clients import client_register, client_update
from oidc.tests.flow import (
    SHOP_A_CALLBACK,
    authorize_params,
    client_credentials_token,
    code_get,
    pkce_make,
    query,
    token_exchange,
)

pytestmark = pytest.mark.django_db


def test_a_client_with_service_scopes_gets_a_service_token(service_shop):
    """Access token for users:read, no user, no refresh token, no ID token, not cacheable."""
    application, secret = service_shop

    response = client_credentials_token(application.client_id, secret, scope="users:read")

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["scope"] == "users:read"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert response["Cache-Control"] == "no-store"
    token = AccessToken.objects.get()
    assert token.user is None
    assert token.application == application
    assert token.scope == "users:read"
    assert not RefreshToken.objects.exists()
    assert not IDToken.objects.exists()


def test_without_a_scope_the_token_gets_the_clients_service_scopes(service_shop):
    """No ``scope`` parameter: the default is what the client holds (RFC 6749 §3.3), not openid."""
    application, secret = service_shop

    response = client_credentials_token(application.client_id, secret)

    assert response.status_code == 200
    assert response.json()["scope"] == "users:read"
    assert AccessToken.objects.get().scope == "users:read"


def test_client_secret_post_works_too(service_shop):
    """The client may authenticate with its secret in the body."""
    application, secret = service_shop

    response = Client().post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": secret,
        },
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "users:read"


def test_a_client_without_service_scopes_is_unauthorized(shop_a):
    """A shop registered for the code flow only gets unauthorized_client, and no token."""
    application, secret = shop_a

    response = client_credentials_token(application.client_id, secret, scope="users:read")

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not AccessToken.objects.exists()


def test_a_wrong_secret_is_invalid_client(service_shop):
    """Client authentication comes first: a wrong secret is a 401 with a Basic challenge."""
    application, _secret = service_shop

    response = client_credentials_token(application.client_id, "wrong", scope="users:read")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert not AccessToken.objects.exists()


def test_a_public_client_never_gets_a_service_token(db):
    """Even with service scopes forced into its options, a public client has no credentials."""
    application, _ = client_register(
        name="SPA",
        redirect_uris=["http://localhost:5173/callback"],
        post_logout_redirect_uris=[],
        public=True,
    )
    ClientOptions.objects.filter(application=application).update(service_scopes="users:read")

    response = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": application.client_id},
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    "scope", ["openid", "users:read openid", "users:read profile", "users:write", "groups"]
)
def test_a_client_cannot_ask_for_more_than_its_service_scopes(service_shop, scope):
    """User scopes and unknown scopes are invalid_scope: nothing beyond the registration."""
    application, secret = service_shop

    response = client_credentials_token(application.client_id, secret, scope=scope)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


def test_a_withdrawn_service_scope_stops_the_grant_and_its_tokens(service_shop):
    """After --no-service-scopes the client's service tokens are gone and no new one comes."""
    application, secret = service_shop
    assert client_credentials_token(application.client_id, secret).status_code == 200

    client_update(client_id=application.client_id, service_scopes=[])
    response = client_credentials_token(application.client_id, secret)

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    "extra", [{}, {"grant_type": "client_credentials"}], ids=["plain", "forged-grant-type"]
)
def test_an_authorization_request_for_a_service_scope_is_refused(browser, service_shop, extra):
    """users:read never reaches a user's authorization: invalid_scope, no code.

    Not even when the query carries ``grant_type=client_credentials``, which oauthlib would
    otherwise expose like the token endpoint's parameter.
    """
    application, _secret = service_shop

    response = browser.get(
        "/o/authorize/",
        authorize_params(application.client_id, pkce_make(), scope="openid users:read", **extra),
    )

    assert response.status_code == 302
    assert response["Location"].startswith(SHOP_A_CALLBACK)
    params = query(response["Location"])
    assert params["error"] == "invalid_scope"
    assert "code" not in params
    assert not Grant.objects.exists()


def test_a_code_exchange_cannot_add_a_service_scope(browser, service_shop):
    """A ``scope`` sent with the code is ignored: the token has the code's scopes only."""
    application, secret = service_shop
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope="openid email")

    response = token_exchange(
        browser, application.client_id, secret, code, pkce.verifier, scope="users:read"
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "openid email"
    assert AccessToken.objects.get().scope == "openid email"


def test_a_refresh_cannot_add_a_service_scope(browser, service_shop):
    """Asking for users:read with a refresh token is invalid_scope; nothing new is issued."""
    application, secret = service_shop
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope="openid")
    tokens = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()

    response = Client().post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": application.client_id,
            "client_secret": secret,
            "scope": "openid users:read",
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert AccessToken.objects.count() == 1
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1


def test_a_service_token_opens_no_userinfo(service_shop):
    """Userinfo is about a user: a client's own token is a 403 insufficient_scope, no 500."""
    application, secret = service_shop
    token = client_credentials_token(application.client_id, secret).json()["access_token"]

    response = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert response["Cache-Control"] == "no-store"


def test_a_service_token_with_openid_still_opens_no_userinfo(service_shop):
    """Even a service token that somehow carries openid has no user to describe: refused."""
    application, secret = service_shop
    token = client_credentials_token(application.client_id, secret).json()["access_token"]
    AccessToken.objects.update(scope="openid users:read")

    response = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"


def test_a_service_token_introspects_without_a_subject(service_shop):
    """Introspection describes a client's own token: active, its scope, no ``sub``."""
    application, secret = service_shop
    token = client_credentials_token(application.client_id, secret).json()["access_token"]

    response = Client().post(
        "/o/introspect/",
        {"token": token, "client_id": application.client_id, "client_secret": secret},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["active"] is True
    assert body["scope"] == "users:read"
    assert body["client_id"] == application.client_id
    assert "sub" not in body
