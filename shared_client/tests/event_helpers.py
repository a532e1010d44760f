"""Build and push Security Event Tokens as the identity server does (docs/contract.md)."""

import time
import uuid
from typing import Any

import jwt

from sso_client import constants as c
from tests.conftest import CLIENT_ID, ISSUER

ALICE_SUB = "2f7c1e0a-0000-4000-8000-000000000001"


def event_claims(event_type: str = c.EVENT_ACCOUNT_DISABLED, payload: Any = None, **overrides):
    """Return the claims of a SET about Alice; an override of None leaves the claim out."""
    now = time.time()
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": int(now),
        "exp": int(now) + 120,
        "jti": uuid.uuid4().hex,
        "toe": round(now - 1, 6),
        "txn": "41",
        "sub": ALICE_SUB,
        "sub_id": {"format": "iss_sub", "iss": ISSUER, "sub": ALICE_SUB},
        "events": {event_type: {} if payload is None else payload},
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def event_token(idp, claims, *, typ="secevent+jwt"):
    """Sign `claims` with the provider's key and `typ` header."""
    return jwt.encode(claims, idp.key, algorithm="RS256", headers={"kid": idp.kid, "typ": typ})


def post_event(client, token, *, content_type=c.SECEVENT_CONTENT_TYPE):
    """POST a SET as RFC 8935 §2 says: the compact JWS is the body."""
    return client.post(
        "/oidc/events/", data=token, content_type=content_type, HTTP_ACCEPT="application/json"
    )
