"""The provider's signing keys, cached and re-fetched on an unknown `kid` (key rotation)."""

from typing import Any

import jwt
from django.core.cache import cache

from sso_client.conf import sso_settings
from sso_client.constants import CACHE_PREFIX, SIGNING_ALGORITHM
from sso_client.discovery import provider_metadata
from sso_client.exceptions import ProviderMisconfigured, TokenError
from sso_client.transport import provider_json_get


def _jwks_fetch(*, jwks_uri: str, cache_key: str) -> dict[str, Any]:
    jwks = provider_json_get(url=jwks_uri)
    if not isinstance(jwks.get("keys"), list):
        raise ProviderMisconfigured("JWKS has no `keys` list")
    cache.set(cache_key, jwks, sso_settings.JWKS_CACHE_SECONDS)
    return jwks


def _key_find(*, jwks: dict[str, Any], kid: str) -> jwt.PyJWK | None:
    for candidate in jwks["keys"]:
        if not isinstance(candidate, dict) or candidate.get("kid") != kid:
            continue
        # RFC 7517 §4.2-4.4: skip keys published for another use or algorithm.
        if candidate.get("kty") != "RSA" or candidate.get("use", "sig") != "sig":
            continue
        if candidate.get("alg", SIGNING_ALGORITHM) != SIGNING_ALGORITHM:
            continue
        try:
            return jwt.PyJWK(candidate, algorithm=SIGNING_ALGORITHM)
        except jwt.PyJWTError as exc:
            raise ProviderMisconfigured(f"JWKS key {kid!r} is unusable") from exc
    return None


def signing_key(*, kid: str) -> jwt.PyJWK:
    """Return the provider's RS256 key named `kid`.

    The JWKS is cached for JWKS_CACHE_SECONDS. A `kid` not in the cached set re-fetches it, at
    most once per JWKS_REFETCH_INTERVAL, so a rotated key works without a restart while a flood
    of tokens with made-up kids cannot turn into a flood of requests to the provider.
    """
    jwks_uri = provider_metadata()["jwks_uri"]
    cache_key = f"{CACHE_PREFIX}:jwks:{jwks_uri}"
    jwks = cache.get(cache_key)
    cached = jwks is not None
    if not cached:
        jwks = _jwks_fetch(jwks_uri=jwks_uri, cache_key=cache_key)
    key = _key_find(jwks=jwks, kid=kid)
    refetch_key = f"{CACHE_PREFIX}:jwks-refetch:{jwks_uri}"
    if key is None and cached and cache.add(refetch_key, 1, sso_settings.JWKS_REFETCH_INTERVAL):
        jwks = _jwks_fetch(jwks_uri=jwks_uri, cache_key=cache_key)
        key = _key_find(jwks=jwks, kid=kid)
    if key is None:
        raise TokenError(f"no RS256 signing key with kid {kid!r}")
    return key
