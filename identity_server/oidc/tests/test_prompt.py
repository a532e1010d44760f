"""OIDC Core 1.0 §3.1.2: prompt, max_age, id_token_hint, request objects, iss on errors."""

import time

import pytest
from conftest import PASSWORD
from django.test import Client
from oauth2_provider.models import Grant

from oidc.models import IdPSession
from oidc.tests.flow import (
    SHOP_A_CALLBACK,
    authorize_params,
    id_token_claims,
    pkce_make,
    query,
    tokens_get,
)

pytestmark = pytest.mark.django_db

ISSUER = "http://localhost:8000/o"


def _authorize(browser: Client, client_id: str, **overrides: str):
    return browser.get("/o/authorize/", authorize_params(client_id, pkce_make(), **overrides))


def _sign_in(browser: Client, email: str, next_url: str):
    return browser.post(
        "/account/login/", {"username": email, "password": PASSWORD, "next": next_url}
    )


def test_prompt_none_signed_in_returns_a_code_silently(browser, shop_a):
    """A signed-in user gets a code with prompt=none: no page, no 500."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, prompt="none")

    assert response.status_code == 302
    params = query(response["Location"])
    assert response["Location"].startswith(SHOP_A_CALLBACK)
    assert set(params) == {"code", "state", "iss"}
    assert params["iss"] == ISSUER


def test_prompt_none_without_session_answers_login_required(shop_a):
    """Nobody signed in: login_required goes back to the client, with state and iss."""
    application, _ = shop_a

    response = _authorize(Client(), application.client_id, prompt="none")

    assert response.status_code == 302
    assert response["Location"].startswith(SHOP_A_CALLBACK)
    params = query(response["Location"])
    assert params["error"] == "login_required"
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


def test_prompt_none_with_an_unregistered_redirect_uri_is_not_redirected(shop_a):
    """login_required is only ever sent to a registered redirect URI (no open redirect)."""
    application, _ = shop_a

    response = _authorize(
        Client(), application.client_id, prompt="none", redirect_uri="https://evil.example/cb"
    )

    assert response.status_code == 400
    assert "Location" not in response


def test_prompt_none_for_a_third_party_without_consent_answers_consent_required(
    browser, third_party
):
    """A third-party client the user never allowed gets consent_required, not a form."""
    application, _ = third_party

    response = _authorize(
        browser,
        application.client_id,
        prompt="none",
        redirect_uri="https://partner.example.net/callback",
    )

    params = query(response["Location"])
    assert response.status_code == 302
    assert params["error"] == "consent_required"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


def test_prompt_none_with_login_is_invalid(browser, shop_a):
    """none with another value is an invalid request (OIDC Core 1.0 §3.1.2.1)."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, prompt="none login")

    params = query(response["Location"])
    assert params["error"] == "invalid_request"
    assert params["iss"] == ISSUER


def test_max_age_exceeded_with_prompt_none_answers_login_required(browser, shop_a):
    """A sign-in older than max_age cannot be used silently."""
    application, _ = shop_a
    session = browser.session
    session["idp_auth_time"] = time.time() - 120
    session.save()

    response = _authorize(browser, application.client_id, prompt="none", max_age="60")

    assert query(response["Location"])["error"] == "login_required"
    assert not Grant.objects.exists()


def test_max_age_within_limit_returns_a_code(browser, shop_a):
    """A recent sign-in satisfies max_age."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, prompt="none", max_age="3600")

    assert "code" in query(response["Location"])


def test_max_age_exceeded_asks_for_the_password_and_moves_auth_time(browser, user, shop_a):
    """An old sign-in is sent to the sign-in form; after it, auth_time is the new sign-in."""
    application, secret = shop_a
    session = browser.session
    session["idp_auth_time"] = time.time() - 120
    session.save()
    IdPSession.objects.update(auth_time=IdPSession.objects.get().auth_time.replace(year=2020))

    response = _authorize(browser, application.client_id, max_age="60")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")
    next_url = query(response["Location"])["next"]
    signed_in = _sign_in(browser, user.email, next_url)
    assert signed_in["Location"] == next_url
    back = browser.get(next_url)
    assert "code" in query(back["Location"])
    before = time.time()
    tokens = tokens_get(browser, application.client_id, secret, max_age="60")
    assert id_token_claims(tokens["id_token"])["auth_time"] >= int(before) - 60


def test_prompt_login_cannot_be_skipped_by_following_next(browser, shop_a):
    """Following the sign-in page's next link without signing in leads back to sign-in."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, prompt="login")
    next_url = query(response["Location"])["next"]
    skipped = browser.get(next_url)

    assert response["Location"].startswith("/account/login/")
    assert skipped.status_code == 302
    assert skipped["Location"].startswith("/account/login/")
    assert not Grant.objects.exists()


def test_prompt_login_after_a_new_sign_in_returns_a_code_with_a_new_auth_time(
    browser, user, shop_a
):
    """prompt=login is satisfied by the sign-in it asked for, once, with a fresh auth_time."""
    application, _ = shop_a
    IdPSession.objects.update(auth_time=IdPSession.objects.get().auth_time.replace(year=2020))

    response = _authorize(browser, application.client_id, prompt="login")
    next_url = query(response["Location"])["next"]
    _sign_in(browser, user.email, next_url)
    back = browser.get(next_url)

    assert back.status_code == 302
    assert back["Location"].startswith(SHOP_A_CALLBACK)
    assert "code" in query(back["Location"])
    assert IdPSession.objects.get().auth_time.year > 2020


def test_a_stamp_from_another_request_does_not_count(browser, user, shop_a):
    """The proof of a new sign-in is bound to the request it was issued for."""
    application, _ = shop_a
    response = _authorize(browser, application.client_id, prompt="login")
    stamp = query(query(response["Location"])["next"])["reauth"]

    forged = _authorize(browser, application.client_id, nonce="other-nonce", reauth=stamp)

    assert forged["Location"].startswith("/account/login/")
    assert not Grant.objects.exists()


def test_anonymous_prompt_login_signs_in_once(user, shop_a):
    """A visitor asked to sign in for prompt=login is not asked a second time."""
    application, _ = shop_a
    browser = Client()

    response = _authorize(browser, application.client_id, prompt="login")
    next_url = query(response["Location"])["next"]
    _sign_in(browser, user.email, next_url)
    back = browser.get(next_url)

    assert "code" in query(back["Location"])


def test_id_token_hint_of_another_user_with_prompt_none_answers_login_required(
    browser, make_user, shop_a
):
    """A hint naming someone else than the signed-in user cannot be answered silently."""
    application, secret = shop_a
    bob = make_user(email="bob@example.com", given_name="Bob")
    bob_browser = Client()
    bob_browser.post("/account/login/", {"username": bob.email, "password": PASSWORD})
    bob_hint = tokens_get(bob_browser, application.client_id, secret)["id_token"]

    response = _authorize(browser, application.client_id, prompt="none", id_token_hint=bob_hint)

    assert query(response["Location"])["error"] == "login_required"


def test_a_forged_id_token_hint_is_refused(browser, shop_a):
    """A hint that is not signed by this provider is an invalid request."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, id_token_hint="a.b.c")

    params = query(response["Location"])
    assert params["error"] == "invalid_request"
    assert params["iss"] == ISSUER


@pytest.mark.parametrize(
    ("parameter", "error"),
    [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")],
)
def test_request_objects_are_refused(browser, shop_a, parameter, error):
    """Request objects are not silently ignored (OIDC Core 1.0 §6)."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, **{parameter: "eyJhbGciOi.x.y"})

    params = query(response["Location"])
    assert params["error"] == error
    assert params["state"] == "state-123"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()


@pytest.mark.parametrize("max_age", ["-1", "soon", "1e3", "٣"])
def test_a_malformed_max_age_is_an_invalid_request(browser, shop_a, max_age):
    """max_age is a whole number of seconds; anything else is refused with a reason."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, max_age=max_age)

    assert query(response["Location"])["error"] == "invalid_request"
    assert not Grant.objects.exists()


def test_authorization_errors_carry_iss(browser, shop_a):
    """RFC 9207: an error redirect names the issuer, like a success."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, scope="openid unknown-scope")

    params = query(response["Location"])
    assert params["error"] == "invalid_scope"
    assert params["iss"] == ISSUER


@pytest.mark.parametrize(
    "overrides",
    [{"code_challenge": "a" * 129}, {"code_challenge": "short"}, {"nonce": "n" * 5000}],
)
def test_values_the_code_cannot_hold_are_an_invalid_request(browser, shop_a, overrides):
    """An oversized nonce or a malformed code_challenge: invalid_request, never a 500."""
    application, _ = shop_a

    response = _authorize(browser, application.client_id, **overrides)

    params = query(response["Location"])
    assert params["error"] == "invalid_request"
    assert params["iss"] == ISSUER
    assert not Grant.objects.exists()
