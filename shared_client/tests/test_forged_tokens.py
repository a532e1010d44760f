"""The acceptance battery of forged tokens at both receivers: each gets 400 and changes nothing.

Back-channel logout (form-encoded logout_token) answers `{"error", "error_description"}`; the
events receiver (RFC 8935) answers `{"err", "description"}`. Both say no-store.
"""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.sessions.models import Session
from django.test import Client

from sso_client import constants as c
from sso_client.models import IdentityLink, SSOSession
from tests.conftest import base_claims, rsa_private_key
from tests.event_helpers import ALICE_SUB, event_claims, post_event
from tests.test_backchannel import logout_claims, post_logout

pytestmark = pytest.mark.django_db

RECEIVERS = {
    # typ, claims of a valid token, how it is posted
    "backchannel": ("logout+jwt", logout_claims, post_logout),
    "events": ("secevent+jwt", lambda **o: event_claims(c.EVENT_ACCOUNT_DISABLED, **o), post_event),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(idp, claims, typ):
    """The classic key-confusion forgery: HMAC keyed with the provider's public key PEM."""
    pem = idp.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": typ, "kid": idp.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _signed(key, claims, typ, kid):
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": typ})


def _id_token(idp, claims, typ):
    """An ID token of the same provider, passed off as a logout token or a SET."""
    return jwt.encode(base_claims(), idp.key, algorithm="RS256", headers={"kid": idp.kid})


now = int(time.time())
# name: (token from (idp, valid claims, typ), claim overrides, RFC 8935 err, part of the reason)
FORGERIES = {
    "alg none": (
        lambda idp, claims, typ: jwt.encode(claims, None, algorithm="none", headers={"typ": typ}),
        {},
        "invalid_request",
        "algorithm 'none' is not RS256",
    ),
    "HS256 with the public key": (
        _hs256_with_public_key,
        {},
        "invalid_request",
        "algorithm 'HS256' is not RS256",
    ),
    "bad signature": (
        lambda idp, claims, typ: _signed(rsa_private_key(), claims, typ, idp.kid),
        {},
        "invalid_key",
        "bad signature",
    ),
    "unknown kid": (
        lambda idp, claims, typ: _signed(rsa_private_key(), claims, typ, "key-unknown"),
        {},
        "invalid_key",
        "no RS256 signing key with kid 'key-unknown'",
    ),
    "wrong iss": (None, {"iss": "https://evil.test/o"}, "invalid_issuer", "wrong issuer"),
    "wrong aud": (None, {"aud": "another-client"}, "invalid_audience", "not for this client"),
    "expired": (None, {"iat": now - 400, "exp": now - 200}, "invalid_request", "has expired"),
    "future iat": (
        None,
        {"iat": now + 3600, "exp": now + 3700},
        "invalid_request",
        "not valid yet",
    ),
    "missing events": (None, {"events": None}, "invalid_request", 'missing the "events" claim'),
    "with nonce": (None, {"nonce": "nonce-1"}, "invalid_request", "contains a nonce"),
    "ID token instead": (_id_token, {}, "invalid_request", "token typ 'JWT' is not"),
    "malformed": (lambda idp, claims, typ: "not.a.jwt", {}, "invalid_request", "malformed token"),
}


def _token(idp, receiver, forgery):
    typ, claims_of, _ = RECEIVERS[receiver]
    make, overrides, _, _ = FORGERIES[forgery]
    claims = claims_of(**overrides)
    if make is None:
        return _signed(idp.key, claims, typ, idp.kid)
    return make(idp, claims, typ)


def _assert_unchanged(session_key):
    assert Session.objects.filter(session_key=session_key).exists()
    assert SSOSession.objects.filter(session_key=session_key).exists()
    link = IdentityLink.objects.select_related("user").get(sub=ALICE_SUB)
    assert link.user.is_active is True
    assert link.last_event_at is None


def _assert_refused(response, receiver, err, reason=""):
    """400, the receiver's JSON error naming `reason`, never cached."""
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    if receiver == "events":
        assert (body["err"], reason in body["description"]) == (err, True)
    else:
        assert (body["error"], reason in body["error_description"]) == ("invalid_request", True)


@pytest.mark.parametrize("receiver", sorted(RECEIVERS))
@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_token_is_refused_and_changes_nothing(signed_in_client, idp, receiver, forgery):
    session_key = signed_in_client.session.session_key
    post = RECEIVERS[receiver][2]

    response = post(Client(), _token(idp, receiver, forgery))

    _assert_refused(response, receiver, *FORGERIES[forgery][2:])
    _assert_unchanged(session_key)


@pytest.mark.parametrize("receiver", sorted(RECEIVERS))
def test_replayed_token_is_refused_and_changes_nothing(signed_in_client, idp, receiver):
    """A token accepted once (about another session or identity) is refused the second time."""
    session_key = signed_in_client.session.session_key
    typ, claims_of, post = RECEIVERS[receiver]
    other = "7d0c4e62-0000-4000-8000-000000000009"
    sub_id = {"format": "iss_sub", "iss": idp.metadata()["issuer"], "sub": other}
    overrides = {"sid": "idp-session-9"} if receiver == "backchannel" else {"sub": other}
    if receiver == "events":
        overrides["sub_id"] = sub_id
    token = _signed(idp.key, claims_of(**overrides), typ, idp.kid)
    assert post(Client(), token).status_code in (200, 202)

    response = post(Client(), token)

    _assert_refused(response, receiver, "invalid_request", "seen before")
    _assert_unchanged(session_key)


def test_a_logout_token_is_refused_at_the_events_receiver(signed_in_client, idp):
    session_key = signed_in_client.session.session_key
    token = _signed(idp.key, logout_claims(), "logout+jwt", idp.kid)

    response = post_event(Client(), token)

    _assert_refused(response, "events", "invalid_request")
    assert "typ" in response.json()["description"]
    _assert_unchanged(session_key)


def test_a_security_event_token_is_refused_at_the_backchannel_receiver(signed_in_client, idp):
    session_key = signed_in_client.session.session_key
    token = _signed(idp.key, event_claims(), "secevent+jwt", idp.kid)

    response = post_logout(Client(), token)

    _assert_refused(response, "backchannel", "invalid_request")
    _assert_unchanged(session_key)
