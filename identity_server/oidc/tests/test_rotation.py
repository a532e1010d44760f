"""Refresh token rotation (oidc.services.rotation): DOT's rules, in a few set-based statements."""

from datetime import timedelta
from hashlib import sha256

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken
from oauth2_provider.settings import oauth2_settings

from oidc.models import IdPSession
from oidc.tests.flow import (
    code_get,
    id_token_claims,
    pkce_make,
    token_exchange,
    token_refresh,
    tokens_get,
)
from oidc.validators import IdPValidator

pytestmark = pytest.mark.django_db

API = "https://api.example.com/"


def _userinfo(access_token: str):
    return Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def _refresh_token_row(tokens: dict) -> RefreshToken:
    return RefreshToken.objects.get(access_token__id=_access_token_row(tokens).pk)


def _access_token_row(tokens: dict) -> AccessToken:
    checksum = sha256(tokens["access_token"].encode()).hexdigest()
    return AccessToken.objects.get(token_checksum=checksum)


def _refused(response) -> bool:
    return response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.fixture
def tokens(browser, shop_a) -> dict:
    """Shop A's first tokens for Alice (authorize and code exchange done)."""
    application, secret = shop_a
    return tokens_get(browser, application.client_id, secret)


def test_a_rotation_issues_a_working_pair_in_the_same_family(tokens, shop_a):
    """The new pair works; the old token is revoked and unlinked, its access token deleted."""
    application, secret = shop_a
    old_refresh = _refresh_token_row(tokens)
    old_access_pk = old_refresh.access_token_id

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert response.status_code == 200, response.content
    rotated = response.json()
    new_refresh = _refresh_token_row(rotated)
    new_access = _access_token_row(rotated)
    old_refresh.refresh_from_db()
    assert old_refresh.revoked is not None
    assert old_refresh.access_token_id is None
    assert not AccessToken.objects.filter(pk=old_access_pk).exists()
    assert new_refresh.token_family == old_refresh.token_family
    assert new_refresh.revoked is None
    assert new_access.source_refresh_token_id == old_refresh.pk
    assert new_access.scope == "openid profile email phone groups"
    assert _userinfo(tokens["access_token"]).status_code == 401
    assert _userinfo(rotated["access_token"]).status_code == 200
    assert token_refresh(application.client_id, secret, rotated["refresh_token"]).status_code == 200


def test_the_rotated_id_token_names_the_idp_session(browser, tokens, shop_a):
    """The ID token of a refresh carries the sid and auth_time of the family's IdP session."""
    application, secret = shop_a
    session = IdPSession.objects.get(sid=browser.session["idp_sid"])

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    claims = id_token_claims(response.json()["id_token"])
    assert claims["sid"] == session.sid
    assert claims["auth_time"] == int(session.auth_time.timestamp())
    assert claims["amr"] == ["pwd"]


def test_a_replayed_refresh_token_revokes_its_family(tokens, shop_a):
    """RFC 9700 §4.14.2: the rotated token used again ends every token of the family."""
    application, secret = shop_a
    rotated = token_refresh(application.client_id, secret, tokens["refresh_token"]).json()

    replay = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert _refused(replay)
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not AccessToken.objects.exists()
    assert _userinfo(rotated["access_token"]).status_code == 401
    assert _refused(token_refresh(application.client_id, secret, rotated["refresh_token"]))


def test_a_refresh_token_past_its_idle_lifetime_is_refused(tokens, shop_a):
    """The token dies REFRESH_TOKEN_EXPIRE_SECONDS after its access token expired."""
    application, secret = shop_a
    lifetime = timedelta(seconds=oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)
    AccessToken.objects.update(expires=timezone.now() - lifetime)

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert _refused(response)
    assert RefreshToken.objects.get().revoked is None
    assert AccessToken.objects.count() == 1


def test_a_refresh_token_within_its_idle_lifetime_works(tokens, shop_a):
    """An expired access token does not end its refresh token before the idle lifetime."""
    application, secret = shop_a
    lifetime = timedelta(seconds=oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)
    AccessToken.objects.update(expires=timezone.now() - lifetime + timedelta(minutes=1))

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert response.status_code == 200, response.content


def test_an_orphan_refresh_token_is_refused(tokens, shop_a):
    """A refresh token whose access token was deleted out of band refreshes nothing."""
    application, secret = shop_a
    AccessToken.objects.all().delete()

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert _refused(response)
    assert not AccessToken.objects.exists()
    assert RefreshToken.objects.get().revoked is None


def test_another_clients_refresh_token_is_refused(tokens, shop_a, shop_b):
    """A token works only for the client it was issued to; the refusal changes nothing."""
    application_a, secret_a = shop_a
    application_b, secret_b = shop_b

    response = token_refresh(application_b.client_id, secret_b, tokens["refresh_token"])

    assert _refused(response)
    assert RefreshToken.objects.get().revoked is None
    assert (
        token_refresh(application_a.client_id, secret_a, tokens["refresh_token"]).status_code == 200
    )


def test_a_wrong_client_secret_is_refused_before_the_token(tokens, shop_a):
    """The client read with the refresh token still has to authenticate."""
    application, _secret = shop_a

    response = token_refresh(application.client_id, "not-the-secret", tokens["refresh_token"])

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert RefreshToken.objects.get().revoked is None


def test_an_unknown_refresh_token_is_refused(tokens, shop_a):
    """A value that is no refresh token gets invalid_grant."""
    application, secret = shop_a

    assert _refused(token_refresh(application.client_id, secret, "not-a-refresh-token"))
    assert RefreshToken.objects.get().revoked is None


def test_a_deactivated_users_refresh_token_is_refused(user, tokens, shop_a):
    """Deactivating a user stops their refresh tokens; nothing is rotated."""
    application, secret = shop_a
    user.is_active = False
    user.save()

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert _refused(response)
    assert RefreshToken.objects.get().revoked is None
    assert AccessToken.objects.count() == 1


def test_the_refresh_token_of_an_ended_idp_session_is_refused(browser, tokens, shop_a):
    """A family whose IdP session ended refreshes no more, even if its tokens survived."""
    application, secret = shop_a
    IdPSession.objects.filter(sid=browser.session["idp_sid"]).update(ended_at=timezone.now())

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert _refused(response)
    assert RefreshToken.objects.get().revoked is None


def test_resource_indicators_are_carried_over(browser, shop_a):
    """RFC 8707: the new pair keeps the code's resources; a refresh cannot widen them."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    Grant.objects.filter(code=code).update(resource=[API])
    tokens = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()
    assert _access_token_row(tokens).resource == [API]

    rotated = token_refresh(application.client_id, secret, tokens["refresh_token"]).json()
    wider = token_refresh(
        application.client_id, secret, rotated["refresh_token"], resource="https://other.example/"
    )

    assert _access_token_row(rotated).resource == [API]
    assert _refresh_token_row(rotated).resource == [API]
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_target"
    assert _refresh_token_row(rotated).revoked is None


def test_a_token_rotated_between_validation_and_rotation_is_a_replay(tokens, shop_a, monkeypatch):
    """Where rows are not locked, the conditional UPDATE lets only one rotation through.

    A parallel rotation that commits after this request validated the token leaves it
    revoked: this request is then the replay, refused, and the family revoked.
    """
    application, secret = shop_a
    get_original_scopes = IdPValidator.get_original_scopes

    def rotated_meanwhile(self, refresh_token, request, *args, **kwargs):
        RefreshToken.objects.update(revoked=timezone.now())
        return get_original_scopes(self, refresh_token, request, *args, **kwargs)

    monkeypatch.setattr(IdPValidator, "get_original_scopes", rotated_meanwhile)

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert _refused(response)
    assert response["Cache-Control"] == "no-store"
    assert RefreshToken.objects.count() == 1
    assert not AccessToken.objects.exists()


def test_with_a_grace_period_dots_rotation_runs(tokens, shop_a, settings):
    """A configured grace period hands rotation back to DOT, which rotates as before."""
    application, secret = shop_a
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 60,
    }
    old_refresh = _refresh_token_row(tokens)

    response = token_refresh(application.client_id, secret, tokens["refresh_token"])

    assert response.status_code == 200, response.content
    rotated = response.json()
    old_refresh.refresh_from_db()
    assert old_refresh.revoked is not None
    assert _refresh_token_row(rotated).token_family == old_refresh.token_family
    assert _userinfo(rotated["access_token"]).status_code == 200
    assert _userinfo(tokens["access_token"]).status_code == 401


def _foreign_keys_at(model) -> set[tuple[str, str, str]]:
    return {
        (relation.related_model._meta.label, relation.field.name, relation.on_delete.__name__)
        for relation in model._meta.related_objects
    }


def test_the_raw_deletes_know_every_foreign_key_at_their_rows():
    """The code's and the rotated access token's DELETEs skip Django's delete collector.

    Each clears the one foreign key at its row itself (the session link's code, the refresh
    token's access token); a new foreign key at either would be left dangling, so it fails
    here first (oidc.services.tokens, oidc.services.rotation).
    """
    assert _foreign_keys_at(Grant) == {("oidc.SessionGrant", "grant", "SET_NULL")}
    assert _foreign_keys_at(AccessToken) == {
        ("oauth2_provider.RefreshToken", "access_token", "SET_NULL")
    }
