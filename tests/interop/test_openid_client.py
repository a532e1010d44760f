"""node openid-client v6 as a confidential client: strict checks of every response."""

from __future__ import annotations

import time

import pytest
from conftest import idp_sub
from support.web import WebClient, query, sign_in_at_idp

from interop.idp import browser_leg, issuer, on_login_page, register_client
from interop.node_rp import node_rp


def rp_config(stack, registered: dict, redirect_uri: str) -> dict:
    """Return what the node RP is configured with: issuer, credentials, redirect URI."""
    return {
        "issuer": issuer(stack),
        "client_id": registered["client_id"],
        "client_secret": registered["client_secret"],
        "redirect_uri": redirect_uri,
    }


@pytest.fixture
def node_client(stack, rp_site) -> dict:
    """A first-party client whose callback and signed-out pages live on ``rp_site``."""
    registered = register_client(
        stack,
        name="openid-client RP",
        redirect_uris=[rp_site.url("/node/callback")],
        post_logout_redirect_uris=[rp_site.url("/node/signed-out")],
    )
    return rp_config(stack, registered, rp_site.url("/node/callback"))


def start(node_client: dict, **params: str) -> dict:
    """Let the RP build an authorization request (PKCE S256, state, nonce) with ``params``."""
    return node_rp("authorize", **node_client, params=params)


def finish(
    node_client: dict, request: dict, callback_url: str, *, max_age: int | None = None
) -> dict:
    """Let the RP process the authorization response it received at ``callback_url``."""
    return node_rp(
        "callback",
        **node_client,
        callback_url=callback_url,
        state=request["state"],
        nonce=request["nonce"],
        code_verifier=request["code_verifier"],
        max_age=max_age,
    )


def assert_error_response(stack, request: dict, callback_url: str, answer: dict, error: str):
    """The IdP redirected ``error`` with state and iss, and openid-client accepted it as such."""
    params = query(callback_url)
    assert params["error"] == error, callback_url
    assert params["state"] == request["state"]
    assert params["iss"] == issuer(stack)
    assert answer["ok"] is False
    # An AuthorizationResponseError means state and iss passed openid-client's checks.
    assert answer["error"]["name"] == "AuthorizationResponseError", answer
    assert answer["error"]["error"] == error


def test_sign_in_silent_sign_in_and_end_session(stack, customer, node_client, rp_site):
    """A code flow, prompt=none with and without an IdP session, then RP-initiated logout."""
    browser = WebClient()
    sub = idp_sub(stack, customer.email)

    request = start(node_client)
    callback = browser_leg(browser, request["url"], credentials=(customer.email, customer.password))
    answer = finish(node_client, request, callback)
    assert answer["ok"], answer
    assert answer["claims"]["sub"] == sub
    assert answer["claims"]["aud"] == node_client["client_id"]
    assert answer["userinfo"]["email"] == customer.email

    silent = start(node_client, prompt="none")
    callback = browser_leg(browser, silent["url"])
    assert "code" in query(callback), callback
    again = finish(node_client, silent, callback)
    assert again["ok"], again
    assert again["claims"]["sub"] == sub

    fresh = start(node_client, prompt="none")
    callback = browser_leg(WebClient(), fresh["url"])
    refused = finish(node_client, fresh, callback)
    assert_error_response(stack, fresh, callback, refused, "login_required")

    logout = node_rp(
        "end_session",
        **node_client,
        id_token_hint=again["id_token"],
        post_logout_redirect_uri=rp_site.url("/node/signed-out"),
        state="bye-123",
    )
    assert logout["url"].startswith(f"{issuer(stack)}/logout/"), logout
    landed = browser.get(logout["url"]).url
    assert landed.startswith(rp_site.url("/node/signed-out")), landed
    assert query(landed)["state"] == "bye-123"

    after = start(node_client, prompt="none")
    callback = browser_leg(browser, after["url"])
    assert_error_response(
        stack, after, callback, finish(node_client, after, callback), "login_required"
    )


def test_max_age_after_a_recent_sign_in_gets_a_code_with_auth_time(stack, customer, node_client):
    """max_age longer than the sign-in's age: a code at once, its ID token has auth_time."""
    browser = WebClient()
    signed_in_from = int(time.time())
    sign_in_at_idp(browser, stack.idp, customer.email, customer.password)

    request = start(node_client, max_age="300")
    callback = browser_leg(browser, request["url"])
    assert "code" in query(callback), f"expected a code without a new sign-in: {callback}"
    answer = finish(node_client, request, callback, max_age=300)
    assert answer["ok"], answer
    assert signed_in_from <= answer["claims"]["auth_time"] <= time.time()


@pytest.mark.parametrize(
    "params", [{"max_age": "0"}, {"prompt": "login"}], ids=["max_age=0", "prompt=login"]
)
def test_forced_re_authentication_asks_the_password_and_renews_auth_time(
    stack, customer, node_client, params
):
    """max_age=0 or prompt=login: the sign-in form, then a code carrying the new auth_time."""
    browser = WebClient()
    sign_in_at_idp(browser, stack.idp, customer.email, customer.password)

    request = start(node_client, **params)
    browser_leg(browser, request["url"])
    assert on_login_page(browser, stack), browser.last.url
    asked_at = int(time.time())
    browser.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )
    callback = browser.last.url
    assert "code" in query(callback), callback
    max_age = int(params["max_age"]) if "max_age" in params else None
    answer = finish(node_client, request, callback, max_age=max_age)
    assert answer["ok"], answer
    assert asked_at <= answer["claims"]["auth_time"] <= time.time()


def test_third_party_client_asks_consent_once(stack, customer, rp_site):
    """A client without --first-party: prompt=none gets consent_required until the user allows."""
    registered = register_client(
        stack,
        name="Third-party RP",
        redirect_uris=[rp_site.url("/node/third-party")],
        first_party=False,
    )
    third_party = rp_config(stack, registered, rp_site.url("/node/third-party"))
    browser = WebClient()
    sign_in_at_idp(browser, stack.idp, customer.email, customer.password)

    silent = start(third_party, prompt="none")
    callback = browser_leg(browser, silent["url"])
    assert_error_response(
        stack, silent, callback, finish(third_party, silent, callback), "consent_required"
    )

    asked = start(third_party)
    browser_leg(browser, asked["url"])
    assert browser.page().select_one("#authorizationForm"), "expected the consent form"
    browser.submit({"allow": "Authorize"}, form="#authorizationForm")
    answer = finish(third_party, asked, browser.last.url)
    assert answer["ok"], answer

    remembered = start(third_party, prompt="none")
    callback = browser_leg(browser, remembered["url"])
    assert "code" in query(callback), f"consent was not remembered: {callback}"
    assert finish(third_party, remembered, callback)["ok"]
