"""Read-side of the oidc app: claims and IdP sessions."""

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from oauth2_provider.models import AbstractApplication

from oidc import constants
from oidc.models import IdPSession, SessionGrant


def user_picture_url(*, user) -> str | None:
    """Return the absolute URL of the user's avatar, or None (the ``picture`` claim)."""
    if not user.avatar:
        return None
    return f"{settings.IDP_URL}{user.avatar.url}"


# How to read each claim from a user; user_claims() reads only the granted ones.
_CLAIM_READERS: dict[str, Callable[[Any], Any]] = {
    "sub": lambda user: str(user.sub),
    "name": lambda user: user.name,
    "given_name": lambda user: user.given_name,
    "family_name": lambda user: user.family_name,
    "nickname": lambda user: user.nickname,
    "picture": lambda user: user_picture_url(user=user),
    "locale": lambda user: user.locale,
    # OIDC Core 1.0 §5.1: seconds since the epoch.
    "updated_at": lambda user: int(user.updated_at.timestamp()),
    "email": lambda user: user.email,
    "email_verified": lambda user: user.email_verified,
    "phone_number": lambda user: user.phone_number,
    # Phone numbers are never verified by this server.
    "phone_number_verified": lambda user: False,
    # A query: run only when the groups scope is granted (token and userinfo requests).
    "groups": lambda user: sorted(user.groups.values_list("name", flat=True)),
}


def user_claims(*, user, scopes: Iterable[str]) -> dict[str, Any]:
    """Return the claims released by ``scopes`` (OIDC Core 1.0 §5.4), empty values left out.

    ``sub`` is always released; ``email_verified`` and ``phone_number_verified`` go with
    their value even when False.
    """
    granted = set(scopes) | {constants.SCOPE_OPENID}
    claims: dict[str, Any] = {}
    for scope, names in constants.CLAIMS_BY_SCOPE.items():
        if scope not in granted:
            continue
        for name in names:
            value = _CLAIM_READERS[name](user)
            if value in ("", None) and name != "sub":
                continue
            claims[name] = value
    return claims


def claims_supported() -> list[str]:
    """Return the claim names advertised in discovery."""
    names = [name for names in constants.CLAIMS_BY_SCOPE.values() for name in names]
    return [*names, constants.CLAIM_SID, constants.CLAIM_AUTH_TIME, "iss", "aud", "nonce"]


def idp_session_for_code(*, code: str, application: AbstractApplication) -> IdPSession | None:
    """Return the IdP session an authorization code was issued in (one query, by the code)."""
    link = (
        SessionGrant.objects.select_related("session")
        .filter(grant__code=code, grant__application=application)
        .first()
    )
    return link.session if link else None


def idp_session_for_token_family(*, token_family: UUID | None) -> IdPSession | None:
    """Return the IdP session a refresh token family was issued in."""
    if token_family is None:
        return None
    link = SessionGrant.objects.select_related("session").filter(token_family=token_family).first()
    return link.session if link else None
