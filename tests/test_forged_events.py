"""Forged tokens at both receivers of a live shop: each gets 400 and changes nothing.

Every forgery starts from the claims of a genuine token about the signed-in customer (a
logout token for their session at shop A, an account-disabled SET about them), signed with
the stack's own key, so that it differs from the genuine one in one defect only; the genuine
token, sent last, does end the session, which shows the forgeries would have been noticed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
import requests
from conftest import idp_sub
from support.forge import (
    LOGOUT_TYP,
    SET_TYP,
    hs256_with_public_key,
    logout_claims,
    set_claims,
    sign,
    signing_key,
    unsigned,
)
from support.oauth import shop_a_tokens
from support.shops import shadow, signed_in_at
from support.web import sign_in_at_shop

from oidc.keys import key_pem_generate


def post_logout_token(stack, token: str) -> requests.Response:
    """POST as the IdP does (OIDC Back-Channel Logout 1.0 §2.5): form-encoded logout_token."""
    url = f"{stack.shop_a}/oidc/backchannel-logout/"
    return requests.post(url, data={"logout_token": token}, timeout=30)


def post_set(stack, token: str) -> requests.Response:
    """POST as the IdP does (RFC 8935 §2): the compact SET is the body."""
    headers = {"Content-Type": "application/secevent+jwt", "Accept": "application/json"}
    url = f"{stack.shop_a}/oidc/events/"
    return requests.post(url, data=token.encode(), headers=headers, timeout=30)


# receiver: (token typ, genuine claims about (sub, sid), how the IdP POSTs, a harmless variant)
RECEIVERS = {
    "backchannel-logout": (
        LOGOUT_TYP,
        lambda stack, sub, sid: logout_claims(stack, client_id="shop-a", sub=sub, sid=sid),
        post_logout_token,
        # The customer's sub with another IdP session: ends no session here.
        lambda stack, sub, sid: logout_claims(stack, client_id="shop-a", sub=sub, sid="other"),
    ),
    "events": (
        SET_TYP,
        lambda stack, sub, sid: set_claims(stack, client_id="shop-a", sub=sub),
        post_set,
        # Another identity, one this shop has no shadow of: acknowledged, nothing applied.
        lambda stack, sub, sid: set_claims(stack, client_id="shop-a", sub=str(uuid.uuid4())),
    ),
}

now = int(time.time())
# name: (claim overrides (None removes the claim), how it is signed, from (claims, typ, key))
FORGERIES: dict[str, tuple[dict, Callable | None]] = {
    "alg none": ({}, lambda claims, typ, key: unsigned(claims, typ=typ)),
    "HS256 with the public key": (
        {},
        lambda c, typ, key: hs256_with_public_key(c, typ=typ, key=key),
    ),
    "bad signature": (
        {},
        lambda c, typ, key: sign(c, typ=typ, key=key_pem_generate(), kid=key.kid),
    ),
    "unknown kid": ({}, lambda c, typ, key: sign(c, typ=typ, key=key_pem_generate(), kid="kid-x")),
    "wrong iss": ({"iss": "http://evil.example/o"}, None),
    "wrong aud": ({"aud": "shop-b"}, None),
    "expired": ({"iat": now - 400, "exp": now - 200}, None),
    "future iat": ({"iat": now + 3600, "exp": now + 3720}, None),
    "missing events": ({"events": None}, None),
    "with nonce": ({"nonce": "n-0S6_WzA2Mj"}, None),
    "malformed": ({}, lambda claims, typ, key: "not.a.jwt"),
}

# What the receiver names as the defect: each forgery is refused for its own reason.
REASONS = {
    "alg none": "algorithm 'none' is not RS256",
    "HS256 with the public key": "algorithm 'HS256' is not RS256",
    "bad signature": "bad signature",
    "unknown kid": "no RS256 signing key with kid",
    "wrong iss": "wrong issuer",
    "wrong aud": "not for this client",
    "expired": "has expired",
    "future iat": "not valid yet",
    "missing events": '"events"',
    "with nonce": "contains a nonce",
    "malformed": "malformed token",
    "ID token instead": "token typ 'JWT' is not",
    "replayed": "jti seen before",
}


def forged(claims: dict, overrides: dict, make: Callable | None, typ: str, key) -> str:
    claims = {name: value for name, value in (claims | overrides).items() if value is not None}
    return make(claims, typ, key) if make else sign(claims, typ=typ, key=key)


def refusal(response: requests.Response) -> tuple[int, str, str]:
    """Return (status, Cache-Control, the JSON reason) of a receiver's answer."""
    try:
        body = response.json()
    except ValueError:
        body = {"unparsed": response.text[:200]}
    reason = body.get("description") or body.get("error_description") or str(body)
    return response.status_code, response.headers.get("Cache-Control", ""), reason


@pytest.mark.parametrize("receiver", sorted(RECEIVERS))
def test_forged_tokens_get_400_and_change_nothing(stack, client, customer, receiver):
    """alg none, HS256 with the public key, bad signature, unknown kid, wrong iss/aud,
    expired, future iat, missing events, with nonce, malformed, an ID token, a replay."""
    typ, genuine_claims, post, harmless_claims = RECEIVERS[receiver]
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sub = idp_sub(stack, customer.email)
    before = shadow(stack, "project_a", sub)
    [sid] = before["sids"]
    key = signing_key(stack)
    tokens = {
        name: forged(genuine_claims(stack, sub, sid), overrides, make, typ, key)
        for name, (overrides, make) in FORGERIES.items()
    }
    # A real ID token of this shop about this customer, from the identity server itself.
    tokens["ID token instead"] = shop_a_tokens(stack, client)["id_token"]
    replayed = sign(harmless_claims(stack, sub, sid), typ=typ, key=key)
    first = post(stack, replayed)
    assert first.status_code in (200, 202), refusal(first)
    tokens["replayed"] = replayed

    answers = {name: refusal(post(stack, token)) for name, token in tokens.items()}

    refused = {name: (*answer[:2], REASONS[name] in answer[2]) for name, answer in answers.items()}
    assert refused == dict.fromkeys(REASONS, (400, "no-store", True)), answers
    assert signed_in_at(client, stack.shop_a), "a forged token ended the session"
    assert shadow(stack, "project_a", sub) == before
    genuine = post(stack, sign(genuine_claims(stack, sub, sid), typ=typ, key=key))
    assert genuine.status_code in (200, 202), refusal(genuine)
    assert not signed_in_at(client, stack.shop_a), "the genuine token ends the session"
