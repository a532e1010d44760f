"""Revoke tokens (of ended IdP sessions, of a replayed code); consume a redeemed code."""

from uuid import UUID

from django.db import router
from oauth2_provider.models import AbstractGrant, get_grant_model, get_refresh_token_model

from oidc.checksums import token_checksum
from oidc.models import SessionGrant

Grant = get_grant_model()
RefreshToken = get_refresh_token_model()


def code_digest(code: str) -> str:
    """Return the SHA-256 hex digest under which a code's redemption is remembered."""
    return token_checksum(code)


def token_families_revoke(*, families: set) -> None:
    """Revoke every refresh token of these families and delete their access tokens."""
    for family in families:
        RefreshToken.revoke_family(family)


def tokens_revoke_for_sessions(*, session_ids: list[int]) -> None:
    """Revoke the access and refresh tokens issued within these IdP sessions.

    Signing out at the IdP ends what the session handed out, not only the browser's cookie:
    a shop's tokens stop working with the session they came from.
    """
    families = set(
        SessionGrant.objects.filter(session_id__in=session_ids, token_family__isnull=False)
        .values_list("token_family", flat=True)
        .distinct()
    )
    token_families_revoke(families=families)


def tokens_revoke_for_replayed_code(*, code: str) -> bool:
    """Revoke what the first redemption of ``code`` issued; return whether it was redeemed.

    RFC 6749 §4.1.2 and RFC 9700 §4.2.1: a code used twice is a sign that it leaked, so the
    tokens minted from it go too, whichever client presents it the second time.
    """
    families = set(
        SessionGrant.objects.filter(
            code_digest=code_digest(code), token_family__isnull=False
        ).values_list("token_family", flat=True)
    )
    token_families_revoke(families=families)
    return bool(families)


def authorization_code_consume(
    *, grant: AbstractGrant, link: SessionGrant, token_family: UUID | None
) -> None:
    """Delete a redeemed code; its IdP session link keeps the family of the tokens it minted.

    Two statements: the link loses the code and gains the family in one UPDATE (the family
    lets a replay of the code revoke those tokens, and a refresh find its IdP session), then
    the code goes without Django's delete collector, whose only work would be that UPDATE:
    ``SessionGrant.grant`` is the only foreign key at the code.
    """
    changes: dict = {"grant": None}
    if token_family is not None:
        changes["token_family"] = token_family
    SessionGrant.objects.filter(pk=link.pk).update(**changes)
    using = router.db_for_write(Grant)
    Grant.objects.using(using).filter(pk=grant.pk)._raw_delete(using)
