"""Tokens as the identity server signs them, with the stack's own signing key, so that a forged
token differs from a genuine one in the one defect a test gives it.

The claims follow identity_server's logout_token_build and events' SET builder
(docs/events.md); the key is the one bootstrap wrote into the stack's var dir.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
from bootstrap import REPO  # noqa: F401  (puts identity_server/ on sys.path for oidc.keys)
from cryptography.hazmat.primitives import serialization

from oidc.keys import SIGNING, KeyFile, key_files
from support.stack import Stack

BACKCHANNEL_LOGOUT = "http://schemas.openid.net/event/backchannel-logout"
ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
LOGOUT_TYP, SET_TYP = "logout+jwt", "secevent+jwt"


def signing_key(stack: Stack) -> KeyFile:
    """Return the identity server's current signing key (the newest signing-*.pem)."""
    return [key for key in key_files(stack.var_dir / "keys") if key.state == SIGNING][-1]


def issuer(stack: Stack) -> str:
    return f"{stack.idp}/o"


def logout_claims(stack: Stack, *, client_id: str, sub: str, sid: str) -> dict:
    """Return the claims of a logout token for one IdP session (OIDC Back-Channel Logout §2.4)."""
    now = int(time.time())
    return {
        "iss": issuer(stack),
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": sub,
        "sid": sid,
        "events": {BACKCHANNEL_LOGOUT: {}},
    }


def set_claims(
    stack: Stack, *, client_id: str, sub: str, event_type: str = ACCOUNT_DISABLED
) -> dict:
    """Return the claims of a Security Event Token about ``sub`` (RFC 8417, docs/events.md)."""
    now = time.time()
    return {
        "iss": issuer(stack),
        "aud": client_id,
        "iat": int(now),
        "exp": int(now) + 120,
        "jti": str(uuid.uuid4()),
        "toe": round(now, 6),
        "txn": str(uuid.uuid4().int % 10**9),
        "sub": sub,
        "sub_id": {"format": "iss_sub", "iss": issuer(stack), "sub": sub},
        "events": {event_type: {}},
    }


def sign(claims: dict, *, typ: str, key: KeyFile | str, kid: str | None = None) -> str:
    """Sign ``claims`` RS256 with a KeyFile (its own kid) or a PEM and ``kid``."""
    pem, kid = (key.pem, kid or key.kid) if isinstance(key, KeyFile) else (key, kid)
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid, "typ": typ})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(claims: dict, *, typ: str, key: KeyFile) -> str:
    """The key-confusion forgery: HMAC-SHA256 keyed with the provider's public key in PEM.

    Built by hand: PyJWT rightly refuses to use a PEM as an HMAC secret.
    """
    private = serialization.load_pem_private_key(key.pem.encode(), password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": typ, "kid": key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned(claims: dict, *, typ: str) -> str:
    """Return the token with `alg: none` and no signature."""
    return jwt.encode(claims, None, algorithm="none", headers={"typ": typ})
