"""manage.py purge_expired: rows past expiry go, live ones stay, a second run deletes nothing."""

import hashlib
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from oidc.models import IdPSession, SessionClient, SessionGrant
from oidc.services.purge import AccessToken, Grant, IDToken, RefreshToken, purge_expired
from oidc.tests.flow import code_get, pkce_make, token_refresh, tokens_get

LONG_AGO = timedelta(days=400)


@pytest.fixture
def live_and_dead(browser, shop_a):
    """Two token sets, one of them dormant past the refresh lifetime; two codes, one expired.

    Return the live access token's id and the live code's id.
    """
    application, secret = shop_a
    live = tokens_get(browser, application.client_id, secret)
    dead = tokens_get(browser, application.client_id, secret)
    past = timezone.now() - LONG_AGO
    dead_access = AccessToken.objects.exclude(token_checksum=_checksum(live["access_token"]))
    for access_token in AccessToken.objects.all():
        _link_id_token_row(access_token)
    IDToken.objects.filter(access_token__in=dead_access).update(expires=past)
    dead_access.update(expires=past)
    live_code = code_get(browser, application.client_id, pkce_make())
    code_get(browser, application.client_id, pkce_make())
    Grant.objects.exclude(code=live_code).update(expires=past)
    assert dead["access_token"] != live["access_token"]
    return (
        AccessToken.objects.get(token_checksum=_checksum(live["access_token"])).pk,
        Grant.objects.get(code=live_code).pk,
    )


def _link_id_token_row(access_token) -> None:
    """Give ``access_token`` the ID token row earlier versions stored with each token response.

    ID tokens are no longer stored (``IdPValidator.finalize_id_token``); an upgraded
    database still holds them until they expire, and the purge deletes them.
    """
    access_token.id_token = IDToken.objects.create(
        user=access_token.user,
        application=access_token.application,
        jti=uuid.uuid4(),
        expires=access_token.expires,
        scope=access_token.scope,
    )
    access_token.save(update_fields=["id_token"])


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_expired_tokens_and_codes_go_and_live_ones_stay(live_and_dead, browser) -> None:
    """A dormant token set and an expired code are deleted; the live set and code remain."""
    live_access_id, live_grant_id = live_and_dead

    counts = purge_expired()

    assert counts["expired refresh tokens"] == 1
    assert counts["expired access tokens"] == 1
    assert counts["expired ID tokens"] == 1
    assert counts["expired authorization codes"] == 1
    assert list(AccessToken.objects.values_list("pk", flat=True)) == [live_access_id]
    assert RefreshToken.objects.get().access_token_id == live_access_id
    assert IDToken.objects.get().access_token.pk == live_access_id
    assert list(Grant.objects.values_list("pk", flat=True)) == [live_grant_id]
    # The browser's IdP session and Django session are live: still signed in.
    assert browser.get("/account/profile/").status_code == 200


def test_a_second_run_deletes_nothing(live_and_dead) -> None:
    """Idempotent: what the first run left is all live."""
    purge_expired(batch_size=1)

    assert set(purge_expired().values()) == {0}


def test_batches_of_one_delete_the_same_rows(live_and_dead) -> None:
    """Small batches walk the keys and still delete every expired row."""
    counts = purge_expired(batch_size=1)

    assert counts["expired access tokens"] == 1
    assert counts["expired authorization codes"] == 1
    assert AccessToken.objects.count() == 1


def test_a_rotated_refresh_token_stays_until_its_lifetime_is_over(browser, shop_a) -> None:
    """Reuse detection needs the rotated token (RFC 9700 §4.14.2) until it would have expired."""
    application, secret = shop_a
    tokens = tokens_get(browser, application.client_id, secret)
    response = token_refresh(application.client_id, secret, tokens["refresh_token"])
    assert response.status_code == 200
    rotated = RefreshToken.objects.get(revoked__isnull=False)

    assert purge_expired()["revoked refresh tokens"] == 0
    assert RefreshToken.objects.filter(pk=rotated.pk).exists()

    RefreshToken.objects.filter(pk=rotated.pk).update(revoked=timezone.now() - LONG_AGO)
    assert purge_expired()["revoked refresh tokens"] == 1
    assert not RefreshToken.objects.filter(pk=rotated.pk).exists()
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1


def test_ended_sessions_go_after_the_retention_with_their_links(browser, user, shop_a) -> None:
    """An IdP session ended long ago goes with its client links; a recent or open one stays."""
    application, secret = shop_a
    tokens_get(browser, application.client_id, secret)
    open_session = IdPSession.objects.get()
    now = timezone.now()
    old = IdPSession.objects.create(sid="old", user=user, auth_time=now, ended_at=now - LONG_AGO)
    SessionClient.objects.create(session=old, application=application)
    SessionGrant.objects.create(session=old, code_digest="x" * 64)
    recent = IdPSession.objects.create(sid="recent", user=user, auth_time=now, ended_at=now)

    counts = purge_expired()

    assert counts["ended IdP sessions"] == 1
    assert set(IdPSession.objects.values_list("pk", flat=True)) == {open_session.pk, recent.pk}
    assert not SessionClient.objects.filter(session_id=old.pk).exists()
    assert not SessionGrant.objects.filter(session_id=old.pk).exists()
    assert SessionGrant.objects.filter(session=open_session).exists()


def test_expired_django_sessions_go(browser) -> None:
    """An expired Django session is deleted, the signed-in browser's stays."""
    expired = Session.objects.create(
        session_key="expired-session",
        session_data="",
        expire_date=timezone.now() - timedelta(seconds=1),
    )

    assert purge_expired()["Django sessions"] == 1
    assert not Session.objects.filter(pk=expired.pk).exists()
    assert browser.get("/account/profile/").status_code == 200


def test_the_command_prints_the_counts(live_and_dead) -> None:
    """The command says how many rows of each kind went."""
    out = StringIO()

    call_command("purge_expired", "--batch-size", "2", stdout=out)

    assert "expired access tokens: 1 deleted" in out.getvalue()
    assert "expired authorization codes: 1 deleted" in out.getvalue()
    assert out.getvalue().rstrip().endswith("Purged 4 rows.")


def test_the_command_refuses_a_batch_size_below_one(db) -> None:
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("purge_expired", "--batch-size", "0")
