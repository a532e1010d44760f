"""Tokens the provider pushes to clients (logout tokens, Security Event Tokens), signed alike."""

import json
import time
import uuid
from typing import Any

from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem


def pushed_token_sign(*, typ: str, client_id: str, lifetime: int, claims: dict[str, Any]) -> str:
    """Return ``claims`` for ``client_id`` as a compact JWT signed with the current key.

    Adds what every pushed token carries: ``iss``, ``aud``, ``iat``, ``exp`` (``lifetime``
    seconds on) and a new ``jti``, so each delivery attempt is a token of its own. RS256 with
    the key that signs ID tokens, whose ``kid`` the JWKS publishes; ``typ`` tells the token
    kinds apart (a logout token is never taken for a SET, or for an ID token).
    """
    key = jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    now = int(time.time())
    body = {
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
        "aud": client_id,
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    header = {"alg": "RS256", "typ": typ, "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(body))
    token.make_signed_token(key)
    return token.serialize()
