"""Token introspection (RFC 7662): confidential clients, their own tokens, no personal data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

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


def test_a_refresh_token_past_its_lifetime_is_inactive(shop_a, tokens, settings):
    """Dead by the rotation's rule (its lifetime after its access token expired), not only
    once the purge deleted it: the session re-check then drops the shop's session."""
    application, secret = shop_a
    lifetime = settings.OAUTH2_PROVIDER["REFRESH_TOKEN_EXPIRE_SECONDS"]
    refresh = RefreshToken.objects.get()
    AccessToken.objects.filter(pk=refresh.access_token_id).update(
        expires=timezone.now() - timedelta(seconds=lifetime + 1)
    )

    response = _introspect(application.client_id, secret, tokens["refresh_token"])

    assert response.json() == {"active": False}


def test_the_refresh_token_hint_looks_there_first(shop_a, tokens):
    """token_type_hint=refresh_token (the re-check's) finds it without a miss in access tokens."""
    application, secret = shop_a

    with CaptureQueriesContext(connection) as context:
        response = Client().post(
            "/o/introspect/",
            {
                "token": tokens["refresh_token"],
                "token_type_hint": "refresh_token",
                "client_id": application.client_id,
                "client_secret": secret,
            },
        )

    assert response.json()["active"] is True
    tables_read = [
        query["sql"].split(" FROM ", 1)[1].split()[0]
        for query in context.captured_queries
        if query["sql"].startswith("SELECT")
    ]
    assert '"oauth2_provider_refreshtoken"' in tables_read
    assert '"oauth2_provider_accesstoken"' not in tables_read


def test_a_wrong_hint_still_finds_the_token(shop_a, tokens):
    """The hint only orders the search (RFC 7662 §2.1)."""
    application, secret = shop_a
    data = {"token": tokens["access_token"], "token_type_hint": "refresh_token"}

    response = Client().post(
        "/o/introspect/", {**data, "client_id": application.client_id, "client_secret": secret}
    )

    assert response.json()["active"] is True
    assert response.json()["token_type"] == "Bearer"
