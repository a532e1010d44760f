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
    """The password POST of a user without a second factor: 16 statements.

    The user by email; their TOTP devices, unused recovery codes and passkeys (is there a
    second step?); the new session key's uniqueness check and INSERT (in a savepoint);
    ``last_login``; the IdP session and its audit event (one savepoint); the session's
    final write (one savepoint).
    """
    browser = Client()
    browser.get("/account/login/")

    with django_assert_num_queries(16):
        response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302


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
    """The authorization-code exchange: 15 statements (13 on a server), one transaction.

    The code, locked, with its user and IdP session (read once for scopes, nonce, PKCE,
    redirect URI, resources); the client; the user's groups (the groups scope); the ID
    token's INSERT (a savepoint: DOT's); access and refresh token INSERTs and the refresh
    family on the code's session link (a savepoint: DOT's); the code's DELETE with its link
    set to NULL; the outer SAVEPOINT/RELEASE (BEGIN/COMMIT on a server).
    """
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    with django_assert_num_queries(15):
        response = token_exchange(Client(), application.client_id, secret, code, pkce.verifier)

    assert response.status_code == 200
    assert {"access_token", "refresh_token", "id_token"} <= set(response.json())


def test_refresh_grant(tokens, shop_a, django_assert_num_queries) -> None:
    """The refresh grant: 25 statements (23 on a server), one transaction.

    The client; the refresh token locked, then read by DOT with its access token, its user
    and its client; the IdP session of its family; the groups; the ID token (a savepoint);
    DOT's rotation (a savepoint): the token again, the access token it minted, the
    revocation (a nested savepoint: the token, its access token, unlinking, DELETE, UPDATE),
    the new access and refresh tokens; the outer SAVEPOINT/RELEASE.
    """
    application, secret = shop_a
    with django_assert_num_queries(25):
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
