"""Refresh token rotation in a few set-based statements (RFC 9700 §4.14.2).

DOT's rotation reads the locked token again, then its access token, then revokes it row by row
in nested savepoints: ten statements. Here the token view has read and locked the token once
(``oidc.selectors.refresh_token_locked``); rotating it is one conditional UPDATE, one DELETE and
the two INSERTs of the new pair, with DOT's validation rules unchanged.
"""

from django.db import router
from django.utils import timezone
from oauth2_provider.models import (
    AbstractRefreshToken,
    get_access_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.settings import oauth2_settings

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def rotation_is_set_based() -> bool:
    """Return whether refreshes rotate here: rotation on and no grace period (DOT's default).

    A grace period lets a token rotated moments ago mint again (DOT hands back the pair it
    minted then); with one configured, DOT's own rotation runs.
    """
    return bool(oauth2_settings.ROTATE_REFRESH_TOKEN) and not (
        oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS
    )


def refresh_token_is_live(*, refresh_token: AbstractRefreshToken) -> bool:
    """Return whether an unrevoked refresh token may still be used, by DOT's rules.

    A token without an access token is an orphan (its access token was deleted out of band,
    or a family revocation ran into a rotation): nothing is left to refresh. Otherwise it
    dies ``REFRESH_TOKEN_EXPIRE_SECONDS`` after its access token expired (the deadline
    included, as ``AccessToken.is_expired``).
    """
    access_token = refresh_token.access_token
    if access_token is None:
        return False
    expire_delta = refresh_token_expire_timedelta()
    return not (expire_delta and access_token.expires + expire_delta <= timezone.now())


def refresh_token_replayed(*, refresh_token: AbstractRefreshToken) -> None:
    """Revoke the family of a revoked refresh token presented again (RFC 9700 §4.14.2).

    A rotated token used again means two parties hold the family; neither can be told
    apart, so every token of the family stops working.
    """
    if oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION:
        RefreshToken.revoke_family(refresh_token.token_family)


def refresh_token_retire(*, refresh_token: AbstractRefreshToken) -> bool:
    """Revoke a rotated refresh token and delete its access token; False if already revoked.

    The UPDATE is conditional: where rows are not locked (SQLite), a parallel rotation that
    came first leaves nothing to update, and the caller treats the request as a replay.
    """
    using = router.db_for_write(RefreshToken)
    now = timezone.now()
    # ``updated`` is auto_now, which a queryset update does not set.
    retired = (
        RefreshToken.objects.using(using)
        .filter(pk=refresh_token.pk, revoked__isnull=True)
        .update(revoked=now, updated=now, access_token=None)
    )
    if not retired:
        return False
    # No delete collector: the only foreign key at AccessToken is RefreshToken.access_token
    # (one-to-one, SET_NULL), cleared on this row just above; DOT's revoke() deletes it too.
    AccessToken.objects.using(using).filter(pk=refresh_token.access_token_id)._raw_delete(using)
    refresh_token.revoked = now
    refresh_token.access_token = None
    return True
