"""Back-channel logout (OIDC Back-Channel Logout 1.0): the provider ends local sessions."""

import time
import uuid

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from sso_client import constants as c
from sso_client.models import SSOSession
from sso_client.sessions import sso_sessions_end
from tests.conftest import CLIENT_ID, ISSUER, callback_query

pytestmark = pytest.mark.django_db


def logout_claims(**overrides):
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "exp": int(time.time()) + 120,
        "jti": uuid.uuid4().hex,
        "events": {c.BACKCHANNEL_LOGOUT_EVENT: {}},
        "sid": "idp-session-1",
        "sub": "2f7c1e0a-0000-4000-8000-000000000001",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def post_logout(client, token):
    return client.post("/oidc/backchannel-logout/", {"logout_token": token})


def assert_refused(response, reason, session_key):
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert reason in response.json()["error_description"]
    assert Session.objects.filter(session_key=session_key).exists()
    assert SSOSession.objects.filter(session_key=session_key).exists()


def test_logout_token_ends_the_session_of_its_sid(signed_in_client, idp):
    """The provider's POST, from outside any browser session, ends the sid's local session."""
    session_key = signed_in_client.session.session_key

    response = post_logout(Client(), idp.sign(logout_claims()))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.exists()
    assert "_auth_user_id" not in signed_in_client.session


def test_logout_token_with_only_sub_ends_every_session_of_that_user(signed_in_client, idp):
    """Without a sid, every local session of the sub ends, whatever its IdP session."""
    other_browser = Client()
    idp.id_token_overrides["sid"] = "idp-session-2"
    other_browser.get("/oidc/callback/", callback_query(other_browser, idp))
    session_keys = [signed_in_client.session.session_key, other_browser.session.session_key]
    assert SSOSession.objects.filter(session_key__in=session_keys).count() == 2

    response = post_logout(Client(), idp.sign(logout_claims(sid=None)))

    assert response.status_code == 200
    assert not Session.objects.filter(session_key__in=session_keys).exists()
    assert not SSOSession.objects.exists()


def test_logout_token_of_another_sid_leaves_session(signed_in_client, idp):
    session_key = signed_in_client.session.session_key

    response = post_logout(signed_in_client, idp.sign(logout_claims(sid="other", sub=None)))

    assert response.status_code == 200
    assert Session.objects.filter(session_key=session_key).exists()


def test_logout_token_with_nonce_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, idp.sign(logout_claims(nonce="n")))

    assert_refused(response, "nonce", signed_in_client.session.session_key)


def test_logout_token_for_another_client_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, idp.sign(logout_claims(aud="other-client")))

    assert_refused(response, "aud", signed_in_client.session.session_key)


def test_logout_token_of_another_issuer_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, idp.sign(logout_claims(iss="https://evil.test/o")))

    assert_refused(response, "issuer", signed_in_client.session.session_key)


def test_logout_token_without_event_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, idp.sign(logout_claims(events={"other": {}})))

    assert_refused(response, "events", signed_in_client.session.session_key)


def test_logout_token_without_sid_or_sub_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, idp.sign(logout_claims(sid=None, sub=None)))

    assert_refused(response, "neither sid nor sub", signed_in_client.session.session_key)


def test_logout_token_without_iat_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, idp.sign(logout_claims(iat=None)))

    assert_refused(response, "iat", signed_in_client.session.session_key)


def test_replayed_jti_is_refused(signed_in_client, idp):
    """A second token with a jti already seen is refused."""
    claims = logout_claims(sid="other", sub=None)
    assert post_logout(signed_in_client, idp.sign(claims)).status_code == 200

    response = post_logout(signed_in_client, idp.sign({**claims, "sid": "idp-session-1"}))

    assert_refused(response, "replayed", signed_in_client.session.session_key)


def test_ending_sessions_needs_sid_or_sub(signed_in_client):
    """Neither sid nor sub is refused rather than read as "every session"."""
    with pytest.raises(ValueError, match="sid or sub is required"):
        sso_sessions_end(issuer=ISSUER, sid=None, sub=None)

    assert SSOSession.objects.count() == 1


def test_missing_logout_token_is_refused(client, db):
    response = client.post("/oidc/backchannel-logout/", {})

    assert response.status_code == 400
    assert response.json()["error_description"] == "no logout_token"
