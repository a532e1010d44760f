"""Token introspection (RFC 7662): confidential clients, their own tokens, no personal data."""

import pytest
from django.test import Client
from oauth2_provider.models import RefreshToken

from oidc.services.clients import client_register
from oidc.tests.flow import (
    tokens_get,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(browser, shop_a) -> dict:
    """Shop A's tokens for Alice, signed in in ``browser``."""
    application, secret = shop_a
    return tokens_get(browser, application.client_id, secret)


def _introspect(client_id: str, secret: str | None, token: str):
    data = {"token": token, "client_id": client_id}
    if secret is not None:
        data["client_secret"] = secret
    return Client().post("/o/introspect/", data)


def test_a_client_introspects_its_own_token_without_personal_data(user, shop_a, tokens):
    """The owner client learns active, scope, sub and expiry, never the email."""
    application, secret = shop_a

    response = _introspect(application.client_id, secret, tokens["access_token"])

    body = response.json()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert body["active"] is True
    assert body["sub"] == str(user.sub)
    assert body["client_id"] == application.client_id
    assert body["token_type"] == "Bearer"
    assert "email" not in body and "username" not in body


def test_another_client_learns_nothing_about_a_token(shop_a, shop_b, tokens):
    """Shop B cannot introspect shop A's token: inactive, like an unknown one."""
    application, secret = shop_b

    response = _introspect(application.client_id, secret, tokens["access_token"])

    assert response.json() == {"active": False}


def test_a_public_client_cannot_introspect(tokens):
    """A public client has no secret to authenticate with: 401 invalid_client."""
    spa, _ = client_register(
        name="SPA",
        redirect_uris=["http://localhost:5173/cb"],
        post_logout_redirect_uris=[],
        public=True,
    )

    response = _introspect(spa.client_id, "", tokens["access_token"])

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "active" not in response.json()


def test_a_resource_server_introspects_any_token(tokens):
    """A client registered as a resource server sees other clients' tokens."""
    api, secret = client_register(
        name="Orders API",
        redirect_uris=["https://api.example.net/unused"],
        post_logout_redirect_uris=[],
        can_introspect=True,
    )

    response = _introspect(api.client_id, secret, tokens["access_token"])

    assert response.json()["active"] is True


def test_a_revoked_token_is_inactive(shop_a, tokens):
    """After revocation (RFC 7009) the token introspects as inactive."""
    application, secret = shop_a
    Client().post(
        "/o/revoke_token/",
        {
            "token": tokens["access_token"],
            "client_id": application.client_id,
            "client_secret": secret,
        },
    )

    response = _introspect(application.client_id, secret, tokens["access_token"])

    assert response.json() == {"active": False}
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_introspection_by_get_is_not_allowed(shop_a, tokens):
    """RFC 7662 §2.1 is a POST: a token never travels in a URL."""
    response = Client().get("/o/introspect/", {"token": tokens["access_token"]})

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "invalid_request"
