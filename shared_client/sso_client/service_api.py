"""Calls from this site to the provider's service API, with a client-credentials token.

The token comes from the token endpoint of the discovery document (RFC 6749 §4.4), the client
authenticating with `client_secret_basic` (§2.3.1) as SSO_CLIENT's CLIENT_ID/CLIENT_SECRET.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from sso_client.claims import sub_is_valid
from sso_client.conf import sso_settings
from sso_client.discovery import provider_metadata
from sso_client.exceptions import ProviderMisconfigured, ProviderUnavailable, ServiceAPIError

USERS_READ_SCOPE = "users:read"
# The provider answers at most this many emails per lookup request.
LOOKUP_MAX_EMAILS = 500
CREDENTIALS_HINT = (
    "check SSO_CLIENT CLIENT_ID/CLIENT_SECRET and that the provider lets this client use the "
    f"client-credentials grant with scope {USERS_READ_SCOPE}"
)


@dataclass(frozen=True)
class IdPUser:
    """A user of the provider as the lookup API describes it."""

    email: str
    sub: str
    email_verified: bool
    is_active: bool


def _error_detail(response: requests.Response) -> str:
    """Return ` (error: description)` of an OAuth (RFC 6749 §5.2) or DRF error body, else ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [body.get(name) for name in ("error", "error_description", "detail")]
    parts = [part for part in parts if isinstance(part, str) and part]
    return f" ({': '.join(parts)})" if parts else ""


def _post_json(*, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    """POST to the provider; return the JSON object of a 200 answer.

    Raise ProviderUnavailable for a network failure or a 5xx, ServiceAPIError for a 4xx and
    ProviderMisconfigured for a bad URL, another status or a body that is not a JSON object.
    """
    try:
        response = requests.post(
            url, timeout=sso_settings.TIMEOUT, verify=sso_settings.VERIFY_SSL, **kwargs
        )
    # Before RequestException, of which they are subclasses: a URL that cannot be requested.
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise ProviderMisconfigured(f"{what}: {url!r} is not a usable URL") from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{what} unreachable: {exc.__class__.__name__}") from exc
    status = response.status_code
    if status >= 500:
        raise ProviderUnavailable(f"{what} answered {status}")
    if status in (401, 403):
        raise ServiceAPIError(
            f"{what} answered {status}{_error_detail(response)}; {CREDENTIALS_HINT}"
        )
    if status >= 400:
        raise ServiceAPIError(f"{what} answered {status}{_error_detail(response)}")
    if status != 200:
        raise ProviderMisconfigured(f"{what} answered {status}, expected 200")
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderMisconfigured(f"{what} answered malformed JSON") from exc
    if not isinstance(body, dict):
        raise ProviderMisconfigured(f"{what} answered JSON that is not an object")
    return body


def service_access_token(*, scope: str) -> str:
    """Return an access token for `scope` from the client-credentials grant.

    Raise ProviderUnavailable, ServiceAPIError (credentials or scope refused) or
    ProviderMisconfigured (the answer is not a bearer token response).
    """
    # RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic.
    credentials = (
        quote(sso_settings.CLIENT_ID or "", safe=""),
        quote(sso_settings.CLIENT_SECRET or "", safe=""),
    )
    body = _post_json(
        url=provider_metadata()["token_endpoint"],
        what="token endpoint (client credentials)",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=credentials,
        headers={"Accept": "application/json"},
    )
    token = body.get("access_token")
    token_type = body.get("token_type", "Bearer")
    if not isinstance(token, str) or not token:
        raise ProviderMisconfigured("token endpoint (client credentials) gave no access_token")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ProviderMisconfigured(f"token endpoint gave token_type {token_type!r}, not Bearer")
    return token


def _idp_user(entry: Any, *, what: str) -> IdPUser:
    """Return the IdPUser of one `users` entry, or raise ProviderMisconfigured."""
    if not isinstance(entry, dict):
        raise ProviderMisconfigured(f"{what}: a `users` entry is not an object")
    email, sub = entry.get("email"), entry.get("sub")
    verified, active = entry.get("email_verified"), entry.get("is_active")
    if not isinstance(email, str) or not email or not sub_is_valid(sub):
        raise ProviderMisconfigured(f"{what}: a `users` entry lacks email or a valid sub")
    if not isinstance(verified, bool) or not isinstance(active, bool):
        raise ProviderMisconfigured(f"{what}: email_verified/is_active of {sub!r} are not booleans")
    return IdPUser(email=email, sub=sub, email_verified=verified, is_active=active)


def idp_users_lookup(*, emails: Sequence[str], access_token: str) -> list[IdPUser]:
    """Return the provider's users with these emails (at most LOOKUP_MAX_EMAILS per call).

    POSTs `{"emails": [...]}` to SSO_CLIENT["USER_LOOKUP_URL"] with the bearer token. Emails the
    provider does not know are simply absent from the result. Raise ValueError for too many
    emails, and the errors of service_access_token for a failed or malformed answer.
    """
    if len(emails) > LOOKUP_MAX_EMAILS:
        raise ValueError(f"at most {LOOKUP_MAX_EMAILS} emails per lookup, got {len(emails)}")
    url = sso_settings.user_lookup_url()
    what = f"user lookup {url}"
    body = _post_json(
        url=url,
        what=what,
        json={"emails": list(emails)},
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    users, unknown = body.get("users"), body.get("unknown", [])
    if not isinstance(users, list) or not isinstance(unknown, list):
        raise ProviderMisconfigured(f"{what}: `users` and `unknown` must be lists")
    return [_idp_user(entry, what=what) for entry in users]
