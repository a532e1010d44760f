"""Read-side of the oidc app: claims, IdP sessions, consent, token introspection."""

import hashlib
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_refresh_token_model,
)
from oauth2_provider.settings import oauth2_settings

from oidc import constants
from oidc.models import ClientOptions, Consent, IdPSession, SessionGrant

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


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
    """Return the names of the claims this provider can release, sorted (discovery)."""
    names = {name for names in constants.CLAIMS_BY_SCOPE.values() for name in names}
    names |= {constants.CLAIM_SID, constants.CLAIM_AUTH_TIME, constants.CLAIM_AMR}
    names |= {constants.CLAIM_ACR, "iss", "aud", "exp", "iat", "nonce"}
    return sorted(names)


def consent_covers(*, user, application: AbstractApplication, scopes: Iterable[str]) -> bool:
    """Return whether the user already allowed ``application`` every one of ``scopes``."""
    consent = Consent.objects.filter(user=user, application=application).first()
    return consent is not None and set(scopes) <= consent.scope_set


def client_service_scopes(*, application: AbstractApplication) -> frozenset[str]:
    """Return the service scopes ``application`` may obtain with client credentials.

    Only a confidential authorization-code client holds any (RFC 6749 §4.4: the grant
    needs client authentication); a public client never does, whatever is stored.
    """
    if (
        application.client_type != AbstractApplication.CLIENT_CONFIDENTIAL
        or application.authorization_grant_type != AbstractApplication.GRANT_AUTHORIZATION_CODE
    ):
        return frozenset()
    options = ClientOptions.objects.filter(application=application).first()
    return options.service_scope_set if options else frozenset()


def session_grant_for_code(*, code: str, application: AbstractApplication) -> SessionGrant | None:
    """Return the link of a code to its IdP session (one query, by the code)."""
    return (
        SessionGrant.objects.select_related("session")
        .filter(grant__code=code, grant__application=application)
        .first()
    )


def idp_session_for_token_family(*, token_family: UUID | None) -> IdPSession | None:
    """Return the IdP session a refresh token family was issued in."""
    if token_family is None:
        return None
    link = SessionGrant.objects.select_related("session").filter(token_family=token_family).first()
    return link.session if link else None


def consents_of(*, user) -> list[Consent]:
    """Return the applications the user allowed, by name (the account page lists them)."""
    return list(
        Consent.objects.filter(user=user)
        .select_related("application")
        .order_by("application__name")
    )


def token_introspection(*, token: str, client: AbstractApplication) -> dict[str, Any]:
    """Return the RFC 7662 answer about ``token`` for ``client``.

    A client learns about its own tokens; a client registered as a resource server
    (``can_introspect``) about any. Anything else, expired, revoked or unknown, is
    ``{"active": false}`` alike, so the answer never tells another client's token apart.
    """
    inactive: dict[str, Any] = {"active": False}
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    may_see_all = ClientOptions.objects.filter(application=client, can_introspect=True).exists()

    def visible(application_id: int | None) -> bool:
        return may_see_all or application_id == client.pk

    access = (
        AccessToken.objects.select_related("user", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    if access is not None:
        if not visible(access.application_id) or not access.is_valid():
            return inactive
        owner, scope, expires = access.user, access.scope, access.expires
        application, issued = access.application, access.created
        token_type: str | None = "Bearer"  # noqa: S105 (a token type, RFC 6750)
    else:
        refresh = (
            RefreshToken.objects.select_related("user", "application", "access_token")
            .filter(token_checksum=checksum, revoked__isnull=True)
            .first()
        )
        if refresh is None or refresh.access_token is None or not visible(refresh.application_id):
            return inactive
        owner, scope, expires = refresh.user, refresh.access_token.scope, None
        application, issued, token_type = refresh.application, refresh.created, None
    if owner is not None and not owner.is_active:
        return inactive
    answer: dict[str, Any] = {
        "active": True,
        "scope": scope,
        "client_id": application.client_id,
        "iat": int(issued.timestamp()),
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
    }
    if token_type:
        answer["token_type"] = token_type
    if expires is not None:
        answer["exp"] = int(expires.timestamp())
    if owner is not None:
        answer["sub"] = str(owner.sub)
    return answer
