"""Read-side of the oidc app: claims and IdP sessions."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings

from oidc import constants
from oidc.models import IdPSession, SessionGrant


def user_picture_url(*, user) -> str | None:
    """Return the absolute URL of the user's avatar, or None (the ``picture`` claim)."""
    if not user.avatar:
        return None
    return f"{settings.IDP_URL}{user.avatar.url}"


def user_all_claims(*, user) -> dict[str, Any]:
    """Return every claim the identity server can release about a user."""
    return {
        "sub": str(user.sub),
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "nickname": user.nickname,
        "picture": user_picture_url(user=user),
        "locale": user.locale,
        # OIDC Core 1.0 §5.1: seconds since the epoch.
        "updated_at": int(user.updated_at.timestamp()),
        "email": user.email,
        "email_verified": user.email_verified,
        "phone_number": user.phone_number,
        # Phone numbers are never verified by this server.
        "phone_number_verified": False,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


def user_claims(*, user, scopes: Iterable[str]) -> dict[str, Any]:
    """Return the claims released by ``scopes`` (OIDC Core 1.0 §5.4), empty values left out.

    ``sub`` is always released; ``email_verified`` and ``phone_number_verified`` go with
    their value even when False.
    """
    granted = set(scopes) | {constants.SCOPE_OPENID}
    everything = user_all_claims(user=user)
    claims: dict[str, Any] = {}
    for scope, names in constants.CLAIMS_BY_SCOPE.items():
        if scope not in granted:
            continue
        for name in names:
            value = everything[name]
            if value in ("", None) and name != "sub":
                continue
            claims[name] = value
    return claims


def claims_supported() -> list[str]:
    """Return the claim names advertised in discovery."""
    names = [name for names in constants.CLAIMS_BY_SCOPE.values() for name in names]
    return [*names, constants.CLAIM_SID, constants.CLAIM_AUTH_TIME, "iss", "aud", "nonce"]


def idp_session_for_grant(*, grant_id: int) -> IdPSession | None:
    """Return the IdP session an authorization code was issued in."""
    link = SessionGrant.objects.select_related("session").filter(grant_id=grant_id).first()
    return link.session if link else None


def idp_session_for_token_family(*, token_family: UUID | None) -> IdPSession | None:
    """Return the IdP session a refresh token family was issued in."""
    if token_family is None:
        return None
    link = SessionGrant.objects.select_related("session").filter(token_family=token_family).first()
    return link.session if link else None
