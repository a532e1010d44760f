"""Read back ID tokens this provider signed (``id_token_hint`` at authorize and logout)."""

import json
from typing import Any

from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem


def id_token_hint_claims(token: str) -> dict[str, Any] | None:
    """Return the claims of an ID token signed by one of our keys, or None.

    Expiry is not checked: OIDC Core 1.0 §3.1.2.1 and RP-Initiated Logout 1.0 §2 accept an
    expired ID token as a hint. The signature and the issuer are.
    """
    if not token or len(token) > 16_384:
        return None
    pems = [oauth2_settings.OIDC_RSA_PRIVATE_KEY, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE]
    for pem in pems:
        try:
            verified = jwt.JWT(
                key=jwk_from_pem(pem),
                jwt=token,
                algs=["RS256"],
                check_claims={},
            )
            claims = json.loads(verified.claims)
        except (JWException, ValueError, TypeError):
            continue
        if not isinstance(claims, dict) or claims.get("iss") != oauth2_settings.OIDC_ISS_ENDPOINT:
            return None
        return claims
    return None


def id_token_audiences(claims: dict[str, Any]) -> list[str]:
    """Return the ``aud`` of ID token claims as a list of client ids."""
    audience = claims.get("aud")
    if isinstance(audience, str):
        return [audience]
    if isinstance(audience, list):
        return [value for value in audience if isinstance(value, str)]
    return []
