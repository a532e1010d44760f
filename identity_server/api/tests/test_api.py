"""The REST API: /api/me/ by access token, /api/users/ for administrators."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from oidc.tests.flow import code_get, pkce_make, token_exchange

User = get_user_model()
pytestmark = pytest.mark.django_db


def access_token(browser: Client, shop_a, scope: str) -> str:
    """Run the code flow in a signed-in browser and return an access token with ``scope``."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope=scope)
    return token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()[
        "access_token"
    ]


def test_me_returns_the_token_owners_claims(browser, user, shop_a):
    """The claims follow the token's scopes: profile without email, groups or phone."""
    token = access_token(browser, shop_a, "openid profile")

    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    user.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "sub": str(user.sub),
        "name": "Alice Liddell",
        "given_name": "Alice",
        "family_name": "Liddell",
        "updated_at": int(user.updated_at.timestamp()),
    }


def test_me_without_token_is_a_json_error():
    """No token: 401 with a Bearer challenge and a reason, as JSON."""
    response = Client().get("/api/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_me_with_a_bad_token_is_refused():
    """An unknown token is refused like a missing one."""
    response = Client().get("/api/me/", HTTP_AUTHORIZATION="Bearer nope")

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


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
