"""Calls from this site to the provider's service API, with a client-credentials token.

The token comes from the token endpoint of the discovery document (RFC 6749 §4.4), the client
authenticating with `client_secret_basic` (§2.3.1) as SSO_CLIENT's CLIENT_ID/CLIENT_SECRET.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import requests

from sso_client.claims import sub_is_valid
from sso_client.conf import sso_settings
from sso_client.discovery import provider_metadata
from sso_client.exceptions import ProviderMisconfigured, ProviderUnavailable, ServiceAPIError
from sso_client.transport import client_basic_auth, provider_headers, provider_session

USERS_READ_SCOPE = "users:read"
# The reconcile list (`sso_sync`): every user changed since a cursor.
USERS_SYNC_SCOPE = "users:sync"
# The provider answers at most this many emails per lookup request.
LOOKUP_MAX_EMAILS = 500
# The provider's page sizes of the reconcile list: default and largest.
CHANGES_DEFAULT_LIMIT = 200
CHANGES_MAX_LIMIT = 1000
# Beside the lookup endpoint (SSO_CLIENT["USER_LOOKUP_URL"], by default at the issuer's origin).
CHANGES_RELATIVE_URL = "../changes/"
# The members of a reconcile entry that say what became of the account, not claims.
CHANGE_STATUS_MEMBERS = ("active", "deleted", "updated_at")


class ServiceTokenRefused(ServiceAPIError):
    """A 401: the client's credentials, or its access token (unknown, expired), were refused."""


def credentials_hint(scope: str) -> str:
    """Return what to check when the provider refuses this client a service call for `scope`."""
    return (
        "check SSO_CLIENT CLIENT_ID/CLIENT_SECRET and that the provider lets this client use the "
        f"client-credentials grant with scope {scope}"
    )


@dataclass(frozen=True)
class IdPUser:
    """A user of the provider as the lookup API describes it."""

    email: str
    sub: str
    email_verified: bool
    is_active: bool


def _detail_text(detail: Any) -> str:
    """Return a DRF `detail` as text: a string, or `field: reason` pairs of a field error."""
    if isinstance(detail, str):
        return detail
    if not isinstance(detail, dict):
        return ""
    reasons = []
    for name, messages in detail.items():
        texts = [m for m in messages if isinstance(m, str)] if isinstance(messages, list) else []
        if isinstance(name, str) and texts:
            reasons.append(f"{name}: {' '.join(texts)}")
    return "; ".join(reasons)


def _error_detail(response: requests.Response) -> str:
    """Return ` (error: description)` of an OAuth (RFC 6749 §5.2) or DRF error body, else ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [body.get("error"), body.get("error_description"), _detail_text(body.get("detail"))]
    parts = [part for part in parts if isinstance(part, str) and part]
    return f" ({': '.join(parts)})" if parts else ""


def _request_json(method: str, *, url: str, what: str, scope: str, **kwargs: Any) -> dict[str, Any]:
    """Call the provider; return the JSON object of a 200 answer.

    Raise ProviderUnavailable for a network failure or a 5xx, ServiceAPIError for a 4xx (a 401
    or 403 with what to check for `scope`) and ProviderMisconfigured for a bad URL, another
    status or a body that is not a JSON object.
    """
    try:
        headers = provider_headers(kwargs.pop("headers", None))
        response = provider_session().request(
            method,
            url,
            timeout=sso_settings.TIMEOUT,
            verify=sso_settings.VERIFY_SSL,
            headers=headers,
            **kwargs,
        )
    # Before RequestException, of which they are subclasses: a URL that cannot be requested.
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise ProviderMisconfigured(f"{what}: {url!r} is not a usable URL") from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{what} unreachable: {exc.__class__.__name__}") from exc
    status = response.status_code
    if status >= 500:
        raise ProviderUnavailable(f"{what} answered {status}")
    if status == 401:
        raise ServiceTokenRefused(
            f"{what} answered {status}{_error_detail(response)}; {credentials_hint(scope)}"
        )
    if status == 403:
        raise ServiceAPIError(
            f"{what} answered {status}{_error_detail(response)}; {credentials_hint(scope)}"
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
    body = _request_json(
        "POST",
        url=provider_metadata()["token_endpoint"],
        what="token endpoint (client credentials)",
        scope=scope,
        data={"grant_type": "client_credentials", "scope": scope},
        auth=client_basic_auth(),
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
    body = _request_json(
        "POST",
        url=url,
        what=what,
        scope=USERS_READ_SCOPE,
        json={"emails": list(emails)},
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    users, unknown = body.get("users"), body.get("unknown", [])
    if not isinstance(users, list) or not isinstance(unknown, list):
        raise ProviderMisconfigured(f"{what}: `users` and `unknown` must be lists")
    return [_idp_user(entry, what=what) for entry in users]


@dataclass(frozen=True)
class UserChange:
    """One entry of the reconcile list: an account's claims and status as the provider has them.

    `claims` are the entry's claims (sub, email, names, picture, groups) as a sign-in would
    see them; empty for a deleted account.
    """

    sub: str
    active: bool
    deleted: bool
    updated_at: datetime
    claims: dict[str, Any]


@dataclass(frozen=True)
class ChangesPage:
    """One page of the reconcile list and where the next one starts."""

    users: list[UserChange]
    next_cursor: str
    has_more: bool


def user_changes_url() -> str:
    """Return the provider's reconcile list: beside the user lookup, `.../users/changes/`."""
    return urljoin(sso_settings.user_lookup_url(), CHANGES_RELATIVE_URL)


def _aware_time(value: Any) -> datetime | None:
    """Return an ISO 8601 time with its offset as a datetime, else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _user_change(entry: Any, *, what: str) -> UserChange:
    """Return the UserChange of one `users` entry, or raise ProviderMisconfigured."""
    if not isinstance(entry, dict) or not sub_is_valid(entry.get("sub")):
        raise ProviderMisconfigured(f"{what}: a `users` entry lacks a valid sub")
    sub, active, deleted = entry["sub"], entry.get("active"), entry.get("deleted")
    updated_at = _aware_time(entry.get("updated_at"))
    if not isinstance(active, bool) or not isinstance(deleted, bool) or updated_at is None:
        raise ProviderMisconfigured(
            f"{what}: active/deleted/updated_at of {sub!r} are not booleans and a time"
        )
    claims = {} if deleted else {k: v for k, v in entry.items() if k not in CHANGE_STATUS_MEMBERS}
    return UserChange(
        sub=sub,
        active=active and not deleted,
        deleted=deleted,
        updated_at=updated_at,
        claims=claims,
    )


def idp_users_changes(*, access_token: str, cursor: str | None, limit: int) -> ChangesPage:
    """Return one page of the users changed after `cursor` (None: from the beginning).

    GETs the reconcile list with the bearer token (scope users:sync). Raise ValueError for a
    limit out of 1..CHANGES_MAX_LIMIT, and the errors of service_access_token for a failed or
    malformed answer (a cursor the provider refuses is a ServiceAPIError).
    """
    if not 1 <= limit <= CHANGES_MAX_LIMIT:
        raise ValueError(f"page size must be 1 to {CHANGES_MAX_LIMIT}, got {limit}")
    url = user_changes_url()
    what = f"user changes {url}"
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    body = _request_json(
        "GET",
        url=url,
        what=what,
        scope=USERS_SYNC_SCOPE,
        params=params,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    users, next_cursor, has_more = body.get("users"), body.get("next_cursor"), body.get("has_more")
    if not isinstance(users, list) or not isinstance(has_more, bool):
        raise ProviderMisconfigured(f"{what}: `users` must be a list and `has_more` a boolean")
    if not isinstance(next_cursor, str) or not next_cursor:
        raise ProviderMisconfigured(f"{what}: no `next_cursor`")
    return ChangesPage(
        users=[_user_change(entry, what=what) for entry in users],
        next_cursor=next_cursor,
        has_more=has_more,
    )
