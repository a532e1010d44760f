"""Step-up: a shop's acr_values asks for two factors; a password-only session signs in again."""

from urllib.parse import urljoin

from support.oauth import (
    id_token_verified,
    pkce_pair,
    shop_a_authorize_url,
    signed_in_at_idp,
    token_request,
)
from support.two_step import second_step, shop_a_id_token, totp_enrol
from support.web import query

ACR_MFA = "urn:sso:acr:mfa"
ACR_SINGLE_FACTOR = "urn:sso:acr:1fa"


def test_acr_values_for_mfa_makes_a_password_session_use_its_second_factor(stack, customer):
    """Signed in by password, then an app set up: shop A asking for MFA gets a second step."""
    client = signed_in_at_idp(stack, customer)
    app, _codes = totp_enrol(client, stack.idp)
    before = shop_a_id_token(stack, client)
    assert (before["amr"], before["acr"]) == (["pwd"], ACR_SINGLE_FACTOR)

    verifier, challenge = pkce_pair()
    url = shop_a_authorize_url(stack, challenge, acr_values=ACR_MFA)
    asked = client.get(url, allow_redirects=False)
    assert asked.headers["Location"].startswith("/account/login/"), asked.headers
    client.get(urljoin(url, asked.headers["Location"]))
    client.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )
    second_step(client, app.code())

    # The browser went on to the shop's callback with a code (the shop had not started this
    # request, so it refuses it there and the code stays unused): take the code from the way.
    callbacks = [
        hop.headers["Location"]
        for hop in client.last.history
        if "/oidc/callback/" in hop.headers.get("Location", "")
    ]
    assert callbacks, [hop.url for hop in client.last.history]
    tokens = token_request(stack, query(callbacks[-1])["code"], verifier).json()
    claims = id_token_verified(stack, tokens["id_token"])
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])
    assert claims["acr"] == ACR_MFA
    assert claims["auth_time"] >= before["auth_time"]


def test_a_silent_request_for_mfa_answers_login_required(stack, customer):
    """prompt=none cannot step up: the shop gets login_required, not a single-factor code."""
    client = signed_in_at_idp(stack, customer)
    _verifier, challenge = pkce_pair()

    response = client.get(
        shop_a_authorize_url(stack, challenge, acr_values=ACR_MFA, prompt="none"),
        allow_redirects=False,
    )

    assert query(response.headers["Location"])["error"] == "login_required"
