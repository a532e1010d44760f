"""Attacks on the sign-in flow that the identity server and the shops refuse."""

import secrets

import pytest
from support.oauth import (
    authorize_url,
    pkce_pair,
    shop_a_code,
    signed_in_at_idp,
    token_request,
)
from support.stack import free_port
from support.web import WebClient, query, stop_at_shop_callback


def test_authorization_response_carries_the_issuer(stack, customer):
    """RFC 9207: the code comes back with `iss`, so a shop can detect a mix-up attack."""
    client = signed_in_at_idp(stack, customer)
    callback = stop_at_shop_callback(client, stack.shop_a)
    assert query(callback)["iss"] == f"{stack.idp}/o"
    assert query(callback)["code"]


def test_tampered_state_is_refused_with_a_clear_page(stack, customer):
    """A callback whose state was changed signs nobody in and offers to try again."""
    client = signed_in_at_idp(stack, customer)
    callback = stop_at_shop_callback(client, stack.shop_a)
    tampered = callback.replace(f"state={query(callback)['state']}", "state=forged-state")

    response = client.get(tampered)

    assert response.status_code == 400
    assert "Try again" in response.text
    client.get(f"{stack.shop_a}/")
    assert client.page().select_one(".user-name") is None


def test_replayed_callback_is_refused(stack, customer):
    """The same callback (code and state) used twice works once: state is single-use."""
    client = signed_in_at_idp(stack, customer)
    callback = stop_at_shop_callback(client, stack.shop_a)
    assert client.get(callback).url.startswith(stack.shop_a)
    client.submit(form="form[action*='/oidc/logout/']")

    replay = client.get(callback)

    assert replay.status_code == 400
    client.get(f"{stack.shop_a}/")
    assert client.page().select_one(".user-name") is None


@pytest.mark.parametrize("target", ["other shop", "loopback"])
def test_redirect_uri_of_another_client_or_a_loopback_is_refused(stack, customer, target):
    """Shop A's client never sends a code to shop B's callback or to 127.0.0.1 on a random port."""
    client_id, _ = stack.client_credentials("SHOP_A")
    redirect_uri = {
        "other shop": f"{stack.shop_b}/oidc/callback/",
        "loopback": f"http://127.0.0.1:{free_port()}/oidc/callback/",
    }[target]
    _, challenge = pkce_pair()
    client = signed_in_at_idp(stack, customer)

    response = client.get(
        authorize_url(
            stack, client_id, redirect_uri, code_challenge=challenge, code_challenge_method="S256"
        ),
        allow_redirects=False,
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "pkce", [{}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}]
)
def test_authorization_without_s256_pkce_is_refused(stack, customer, pkce):
    """No code is issued without a PKCE S256 challenge (RFC 9700 §2.1.1); `plain` is refused."""
    client_id, _ = stack.client_credentials("SHOP_A")
    client = signed_in_at_idp(stack, customer)

    response = client.get(
        authorize_url(stack, client_id, f"{stack.shop_a}/oidc/callback/", **pkce),
        allow_redirects=False,
    )

    # The redirect URI is valid, so the error goes back to the client (RFC 6749 §4.1.2.1).
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{stack.shop_a}/oidc/callback/")
    assert query(location)["error"] == "invalid_request"
    assert "code" not in query(location)


def test_replayed_authorization_code_is_refused(stack, customer):
    """A code exchanges for tokens once; the second exchange fails with invalid_grant."""
    code, verifier = shop_a_code(stack, customer)

    first = token_request(stack, code, verifier)
    second = token_request(stack, code, verifier)

    assert first.status_code == 200 and first.json()["id_token"]
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_code_exchange_with_a_wrong_verifier_is_refused(stack, customer):
    """A stolen code is useless without the PKCE verifier."""
    code, _ = shop_a_code(stack, customer)

    exchange = token_request(stack, code, secrets.token_urlsafe(48))

    assert exchange.status_code == 400
    assert exchange.json()["error"] == "invalid_grant"


def test_an_off_site_next_is_ignored_after_sign_in(stack, customer):
    """`next` pointing at another site does not turn the shop's sign-in into an open redirect."""
    client = WebClient()
    client.get(f"{stack.shop_a}/oidc/login/?next=https://evil.example/steal")
    client.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )

    visited = [r.headers.get("Location", "") for r in client.last.history]
    assert client.last.url.startswith(stack.shop_a)
    assert not any("evil.example" in location for location in visited)
    assert client.page().select_one(".user-name") is not None
