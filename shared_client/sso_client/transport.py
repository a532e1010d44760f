"""The one place sso_client talks HTTP to the provider (discovery and JWKS)."""

from typing import Any

import requests

from sso_client.conf import sso_settings
from sso_client.exceptions import ProviderMisconfigured, ProviderUnavailable


def provider_json_get(*, url: str) -> dict[str, Any]:
    """Return the JSON object at `url`, or raise ProviderUnavailable/ProviderMisconfigured."""
    try:
        response = requests.get(
            url,
            timeout=sso_settings.TIMEOUT,
            verify=sso_settings.VERIFY_SSL,
            headers={"Accept": "application/json"},
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"GET {url} failed: {exc.__class__.__name__}") from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(f"GET {url} answered {response.status_code}")
    if response.status_code != 200:
        raise ProviderMisconfigured(f"GET {url} answered {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise ProviderMisconfigured(f"GET {url} did not return JSON") from exc
    if not isinstance(document, dict):
        raise ProviderMisconfigured(f"GET {url} did not return a JSON object")
    return document
