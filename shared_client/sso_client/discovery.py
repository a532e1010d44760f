"""The provider's metadata (OpenID Connect Discovery 1.0), fetched once and cached."""

from typing import Any

from sso_client.conf import cache_key, sso_settings
from sso_client.constants import DISCOVERY_PATH
from sso_client.exceptions import ProviderMisconfigured
from sso_client.transport import provider_json_get

REQUIRED_FIELDS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


def discovery_url(*, issuer: str) -> str:
    """Return the discovery document URL of `issuer` (OIDC Discovery 1.0 §4)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


def _non_empty_string(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def provider_metadata() -> dict[str, Any]:
    """Return the provider's discovery document, from the cache when fresh.

    Raise ProviderUnavailable when the provider cannot be reached and ProviderMisconfigured
    when the document is not the one of SSO_CLIENT["ISSUER"].
    """
    issuer = sso_settings.ISSUER
    if not issuer:
        raise ProviderMisconfigured('SSO_CLIENT["ISSUER"] is not set')
    cache = sso_settings.cache()
    key = cache_key("discovery", issuer)
    metadata = cache.get(key)
    if metadata is not None:
        return metadata
    metadata = provider_json_get(url=discovery_url(issuer=issuer))
    missing = [field for field in REQUIRED_FIELDS if not _non_empty_string(metadata.get(field))]
    if missing:
        raise ProviderMisconfigured(f"discovery document lacks {', '.join(missing)}")
    # OIDC Discovery 1.0 §4.3: the issuer in the document MUST be identical to the one used to
    # fetch it, otherwise an attacker's document could redirect every endpoint.
    if metadata["issuer"] != issuer:
        raise ProviderMisconfigured(
            f"discovery issuer {metadata['issuer']!r} is not {issuer!r}",
        )
    cache.set(key, metadata, sso_settings.DISCOVERY_CACHE_SECONDS)
    return metadata
