"""The REST API: /api/me/ by access token, /api/users/ for administrators."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from oidc.tests.flow import code_get, pkce_make, token_exchange

User = get_user_model()
pytestmark = pytest.mark.django_db


def access_token(user, shop_a, scope: str) -> str:
    """Run the code flow for Alice and return an access token with ``scope``."""
    application, secret = shop_a
    browser = Client()
    browser.post(
        "/account/login/", {"username": user.email, "password": "correct-horse-battery-staple"}
    )
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope=scope)
    return token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()[
        "access_token"
    ]


def test_me_returns_the_token_owners_claims(user, shop_a):
    """The claims follow the token's scopes."""
    token = access_token(user, shop_a, "openid profile")

    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    data = response.json()
    assert response.status_code == 200
    assert data["sub"] == str(user.sub)
    assert data["name"] == "Alice Liddell"
    assert "email" not in data


def test_me_without_token_is_a_json_error():
    """No token: 401/403 with a reason, as JSON."""
    response = Client().get("/api/me/")

    assert response.status_code in (401, 403)
    assert response.json()["error"] == "not_authenticated"
    assert response.json()["detail"]


def test_me_with_a_bad_token_is_refused():
    """An unknown token is refused."""
    response = Client().get("/api/me/", HTTP_AUTHORIZATION="Bearer nope")

    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_users_is_for_admins_only(user, client):
    """A customer gets 403 JSON; an administrator gets the list."""
    client.force_login(user)
    denied = client.get("/api/users/")
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")
    client.force_login(admin)

    allowed = client.get("/api/users/")

    assert denied.status_code == 403
    assert denied.json()["error"] == "permission_denied"
    assert allowed.status_code == 200
    assert [u["email"] for u in allowed.json()["results"]] == [
        "alice@example.com",
        "root@example.com",
    ]
