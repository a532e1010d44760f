"""The provider's signing keys, cached and re-fetched on an unknown `kid` (key rotation)."""

from typing import Any

import jwt

from sso_client.conf import cache_key, sso_settings
from sso_client.constants import SIGNING_ALGORITHM
from sso_client.discovery import provider_metadata
from sso_client.exceptions import ProviderMisconfigured, TokenError
from sso_client.transport import provider_json_get


def _jwks_fetch(*, jwks_uri: str, key: str) -> dict[str, Any]:
    jwks = provider_json_get(url=jwks_uri)
    if not isinstance(jwks.get("keys"), list):
        raise ProviderMisconfigured("JWKS has no `keys` list")
    sso_settings.cache().set(key, jwks, sso_settings.JWKS_CACHE_SECONDS)
    return jwks


def _signing_keys(*, jwks: dict[str, Any], kid: str | None) -> list[dict[str, Any]]:
    """Return the RS256 signature keys of the JWKS named `kid` (any kid when None)."""
    found = []
    for candidate in jwks["keys"]:
        if not isinstance(candidate, dict):
            continue
        if kid is not None and candidate.get("kid") != kid:
            continue
        # RFC 7517 §4.2-4.4: skip keys published for another use or algorithm.
        if candidate.get("kty") != "RSA" or candidate.get("use", "sig") != "sig":
            continue
        if candidate.get("alg", SIGNING_ALGORITHM) != SIGNING_ALGORITHM:
            continue
        found.append(candidate)
    return found


def _key_find(*, jwks: dict[str, Any], kid: str | None) -> jwt.PyJWK | None:
    """Return the key that verifies a token with `kid`, None when none fits.

    Without a kid (RFC 7515 §4.1.4 makes it optional) only a JWKS with exactly one RS256 signing
    key names the key unambiguously; several keys refuse the token rather than try each.
    """
    keys = _signing_keys(jwks=jwks, kid=kid)
    if not keys:
        return None
    if kid is None and len(keys) > 1:
        raise TokenError(f"token has no kid and the JWKS has {len(keys)} RS256 signing keys")
    try:
        return jwt.PyJWK(keys[0], algorithm=SIGNING_ALGORITHM)
    except jwt.PyJWTError as exc:
        raise ProviderMisconfigured(f"JWKS key {kid!r} is unusable") from exc


def signing_key(*, kid: str | None) -> jwt.PyJWK:
    """Return the provider's RS256 key named `kid`, or its only one when `kid` is None.

    The JWKS is cached for JWKS_CACHE_SECONDS. A `kid` not in the cached set re-fetches it, at
    most once per JWKS_REFETCH_INTERVAL, so a rotated key works without a restart while a flood
    of tokens with made-up kids cannot turn into a flood of requests to the provider. Both live
    in the CACHE_ALIAS cache, so the limit holds across processes.
    """
    cache = sso_settings.cache()
    jwks_uri = provider_metadata()["jwks_uri"]
    jwks_key = cache_key("jwks", jwks_uri)
    jwks = cache.get(jwks_key)
    cached = jwks is not None
    if not cached:
        jwks = _jwks_fetch(jwks_uri=jwks_uri, key=jwks_key)
    key = _key_find(jwks=jwks, kid=kid)
    refetch_key = cache_key("jwks-refetch", jwks_uri)
    if key is None and cached and cache.add(refetch_key, 1, sso_settings.JWKS_REFETCH_INTERVAL):
        jwks = _jwks_fetch(jwks_uri=jwks_uri, key=jwks_key)
        key = _key_find(jwks=jwks, kid=kid)
    if key is None:
        raise TokenError(f"no RS256 signing key with kid {kid!r}")
    return key
