"""SQL statements per request on the sign-in fast path, pinned so that they cannot creep back.

Each test runs inside the test's transaction, so every ``transaction.atomic`` block counts
as two statements here (SAVEPOINT, RELEASE) that a server outside a transaction runs as
BEGIN/COMMIT, which Django does not log: on a server the outermost block of a request costs
two statements fewer than counted here. docs/performance.md lists the budgets.
"""

import pytest
from conftest import PASSWORD
from django.test import Client

from oidc.tests.flow import (
    SHOP_B_CALLBACK,
    authorize_params,
    code_get,
    pkce_make,
    query,
    token_exchange,
    token_refresh,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(browser, shop_a) -> dict:
    """Shop A's tokens for Alice (authorize and code exchange done)."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    response = token_exchange(Client(), application.client_id, secret, code, pkce.verifier)
    assert response.status_code == 200
    return response.json()


def test_password_sign_in(user, django_assert_num_queries) -> None:
    """The password POST of a user without a second factor: 10 statements (6 on a server).

    The user by email; one query for a TOTP device, an unused recovery code or a passkey
    (is there a second step?); ``last_login``; the IdP session and its audit event (one
    savepoint); the new session's only write, its INSERT (a savepoint here, a single
    statement on a server: sso_client/session_engine.py). The page it redirects to writes
    no session.
    """
    browser = Client()
    browser.get("/account/login/")

    with django_assert_num_queries(10):
        response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    with django_assert_num_queries(3):
        profile = browser.get(response["Location"])
    assert profile.status_code == 200


def test_silent_authorize_at_a_second_shop(browser, shop_a, shop_b, django_assert_num_queries):
    """``prompt=none`` at shop B for a browser signed in at shop A: 9 statements.

    The Django session; the IdP session check (timeout middleware); the user; the client
    (read once, reused by DOT's validator and the view); the code's INSERT; the client's
    knowledge of the user, for account events (one upsert); the IdP session by sid; the
    client's link to it (one INSERT that ignores a duplicate); the code's link.
    """
    application_a, _secret = shop_a
    code_get(browser, application_a.client_id, pkce_make())
    application_b, _secret = shop_b
    params = authorize_params(
        application_b.client_id, pkce_make(), redirect_uri=SHOP_B_CALLBACK, prompt="none"
    )

    with django_assert_num_queries(9):
        response = browser.get("/o/authorize/", params)

    assert response.status_code == 302
    assert "code" in query(response["Location"])


def test_code_exchange(browser, shop_a, django_assert_num_queries) -> None:
    """The authorization-code exchange: 8 statements (6 on a server), one transaction.

    The code, locked, with its user, client and IdP session (read once for the client's
    authentication, scopes, nonce, PKCE, redirect URI, resources); the user's groups (the
    groups scope); the access and refresh token INSERTs (the ID token is signed, not
    stored); one UPDATE of
    the code's session link (the code unlinked, the refresh family recorded); the code's
    DELETE; the outer SAVEPOINT/RELEASE (BEGIN/COMMIT on a server). No savepoint of DOT's.
    """
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    with django_assert_num_queries(8):
        response = token_exchange(Client(), application.client_id, secret, code, pkce.verifier)

    assert response.status_code == 200
    assert {"access_token", "refresh_token", "id_token"} <= set(response.json())


def test_refresh_grant(tokens, shop_a, django_assert_num_queries) -> None:
    """The refresh grant with rotation: 9 statements (7 on a server), one transaction.

    The refresh token, locked, with its access token, user, client and the id of its
    family's IdP session; that session by primary key; the groups; the rotation
    (oidc.services.rotation): the old token revoked and unlinked by one conditional UPDATE,
    its access token's DELETE, the new access and refresh token INSERTs; the outer
    SAVEPOINT/RELEASE.
    """
    application, secret = shop_a
    with django_assert_num_queries(9):
        response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens["refresh_token"]


def test_userinfo(tokens, django_assert_num_queries) -> None:
    """Userinfo: 2 statements, the access token with its user and client, and the groups."""
    with django_assert_num_queries(2):
        response = Client().get(
            "/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
        )

    assert response.status_code == 200
    assert response.json()["groups"] == []
