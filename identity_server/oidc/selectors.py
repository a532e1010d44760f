"""Read-side of the oidc app: claims, IdP sessions, consent, token introspection."""

import functools
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from oauth2_provider.models import (
    AbstractApplication,
    AbstractRefreshToken,
    get_access_token_model,
    get_refresh_token_model,
)
from oauth2_provider.settings import oauth2_settings

from oidc import constants
from oidc.checksums import token_checksum
from oidc.models import ClientOptions, Consent, IdPSession, SessionGrant
from oidc.services.rotation import refresh_token_is_live

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


# What a refresh needs from the IdP session of the token's family (is it active; sid,
# auth_time and amr for the ID token).
_FAMILY_SESSION_FIELDS = ("id", "sid", "auth_time", "amr", "ended_at")


@functools.cache
def _refresh_tokens_for_rotation() -> QuerySet:
    """Return the query of ``refresh_token_locked`` but its checksum, built once per process.

    Building it (the joins, the subquery resolved) costs as much Python as running it; each
    call runs a filtered copy and never evaluates this one. No ORDER BY: matching it against
    the subquery in the SELECT costs more than picking the row in Python.
    """
    links = SessionGrant.objects.filter(token_family=OuterRef("token_family")).order_by("pk")
    return (
        RefreshToken.objects.select_for_update(of=("self",))
        .select_related("access_token", "user", "application")
        .annotate(family_session_pk=Subquery(links.values("session_id")[:1]))
    )


def refresh_token_locked(*, token: str) -> AbstractRefreshToken | None:
    """Return the refresh token ``token`` locked, with all its rotation reads, or None.

    Two statements: the row (the unrevoked one of its checksum, else the latest revoked, as
    DOT's validator picks) with its access token, user, client and the id of the IdP session
    its family was issued in; then that session, as ``family_session`` (None without one).
    The session's fields come by primary key rather than as more subqueries of the first
    statement: each would look the family's link up again (PostgreSQL's CPU per refresh
    doubled). The lock makes parallel refreshes with one token queue up in the token view's
    transaction (RFC 9700 §4.14.2): each later one then reads the token revoked.
    """
    checksum = token_checksum(token)
    rows = list(_refresh_tokens_for_rotation().filter(token_checksum=checksum))
    if not rows:
        return None
    # DOT's choice among the rows of a checksum: the unrevoked one, else the latest revoked.
    live = [row for row in rows if row.revoked is None]
    refresh_token = live[0] if live else max(rows, key=lambda row: row.revoked)
    session_pk = refresh_token.family_session_pk
    refresh_token.family_session = (
        IdPSession.objects.only(*_FAMILY_SESSION_FIELDS).filter(pk=session_pk).first()
        if session_pk is not None
        else None
    )
    return refresh_token


def consents_of(*, user) -> list[Consent]:
    """Return the applications the user allowed, by name (the account page lists them)."""
    return list(
        Consent.objects.filter(user=user)
        .select_related("application")
        .order_by("application__name")
    )


def token_introspection(
    *, token: str, client: AbstractApplication, hint: str | None = None
) -> dict[str, Any]:
    """Return the RFC 7662 answer about ``token`` for ``client``.

    A client learns about its own tokens; a client registered as a resource server
    (``can_introspect``) about any. Anything else, expired, revoked or unknown, is
    ``{"active": false}`` alike, so the answer never tells another client's token apart.
    ``hint`` (``token_type_hint``) decides which table is searched first, then the other
    (RFC 7662 §2.1): sso_client's session re-check names refresh tokens.
    """
    inactive: dict[str, Any] = {"active": False}
    checksum = token_checksum(token)
    lookups = [_access_token_found, _refresh_token_found]
    if hint == "refresh_token":
        lookups.reverse()
    found = next((hit for lookup in lookups if (hit := lookup(checksum)) is not None), None)
    if found is None:
        return inactive
    row, live, owner, scope, expires, token_type = found
    may_see_all = ClientOptions.objects.filter(application=client, can_introspect=True).exists()
    if not live or not (may_see_all or row.application_id == client.pk):
        return inactive
    if owner is not None and not owner.is_active:
        return inactive
    answer: dict[str, Any] = {
        "active": True,
        "scope": scope,
        "client_id": row.application.client_id,
        "iat": int(row.created.timestamp()),
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
    }
    if token_type:
        answer["token_type"] = token_type
    if expires is not None:
        answer["exp"] = int(expires.timestamp())
    if owner is not None:
        answer["sub"] = str(owner.sub)
    return answer


def _access_token_found(checksum: str) -> tuple | None:
    """Return (row, live, owner, scope, expires, type) of the access token, or None."""
    access = (
        AccessToken.objects.select_related("user", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    if access is None:
        return None
    return access, access.is_valid(), access.user, access.scope, access.expires, "Bearer"


def _refresh_token_found(checksum: str) -> tuple | None:
    """Return (row, live, owner, scope, expires, type) of the unrevoked refresh token, or None.

    Live by the rotation's rules: an orphan, or one past ``REFRESH_TOKEN_EXPIRE_SECONDS``
    after its access token expired, can refresh nothing and is not active.
    """
    refresh = (
        RefreshToken.objects.select_related("user", "application", "access_token")
        .filter(token_checksum=checksum, revoked__isnull=True)
        .first()
    )
    if refresh is None:
        return None
    live = refresh_token_is_live(refresh_token=refresh)
    scope = refresh.access_token.scope if refresh.access_token else ""
    return refresh, live, refresh.user, scope, None, None
