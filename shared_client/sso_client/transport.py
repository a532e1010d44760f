"""HTTP to the provider: discovery and JWKS here, and the error mapping the backend shares."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from sso_client.conf import sso_settings
from sso_client.exceptions import ProviderMisconfigured, ProviderUnavailable, SSOError


@contextmanager
def provider_errors(what: str, *, client_error: type[SSOError]) -> Iterator[None]:
    """Turn a failed request to the provider into the SSOError a person is shown.

    A 5xx or a network failure is ProviderUnavailable; a 4xx is `client_error`; a body that is
    not JSON, or an endpoint that is not a URL, is ProviderMisconfigured.
    """
    try:
        yield
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        error_class = ProviderUnavailable if status >= 500 else client_error
        raise error_class(f"{what} answered {status}") from exc
    # Before RequestException: requests' JSONDecodeError and MissingSchema are both.
    except ValueError as exc:
        raise ProviderMisconfigured(f"{what}: {exc.__class__.__name__}") from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{what}: {exc.__class__.__name__}") from exc


def json_object(document: Any, *, what: str) -> dict[str, Any]:
    """Return `document` if it is a JSON object, else raise ProviderMisconfigured."""
    if not isinstance(document, dict):
        raise ProviderMisconfigured(f"{what} is not a JSON object")
    return document


def provider_json_get(*, url: str) -> dict[str, Any]:
    """Return the JSON object at `url`, or raise ProviderUnavailable/ProviderMisconfigured."""
    with provider_errors(f"GET {url}", client_error=ProviderMisconfigured):
        response = requests.get(
            url,
            timeout=sso_settings.TIMEOUT,
            verify=sso_settings.VERIFY_SSL,
            headers={"Accept": "application/json"},
        )
        response.raise_for_status()
        return json_object(response.json(), what=f"GET {url}")
