"""The events receiver (RFC 8935): SETs from the provider change the shadow, once and in order."""

import time

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client

from sso_client import constants as c
from sso_client.models import IdentityLink, SSOSession
from sso_client.signals import sso_event_received
from tests.conftest import alice_claims
from tests.event_helpers import ALICE_SUB, event_claims, event_token, post_event

pytestmark = pytest.mark.django_db


def alice():
    return IdentityLink.objects.select_related("user").get(sub=ALICE_SUB).user


def assert_accepted(response):
    """RFC 8935 §2.2: 202 with an empty body, never cached."""
    assert response.status_code == 202
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def assert_refused(response, err, description):
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"err": err, "description": description}


@pytest.fixture
def received():
    """Record every sso_event_received sent."""
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    sso_event_received.connect(receiver)
    yield calls
    sso_event_received.disconnect(receiver)


def test_claims_change_updates_the_shadow(signed_in_client, idp, received):
    """A profile change at the provider reaches the shadow without a new sign-in."""
    claims = alice_claims(given_name="Alicia", email="alicia@example.com", picture=None)
    token = event_token(idp, event_claims(c.EVENT_CLAIMS_CHANGE, {"claims": claims}))

    response = post_event(Client(), token)

    assert_accepted(response)
    user = alice()
    assert (user.first_name, user.email, user.is_active) == ("Alicia", "alicia@example.com", True)
    assert user.sso_identity.picture == ""
    assert user.sso_identity.last_event_at is not None
    assert received == [
        {
            "signal": sso_event_received,
            "event_type": c.EVENT_CLAIMS_CHANGE,
            "sub": ALICE_SUB,
            "user": user,
            "payload": {"claims": claims},
            "claims": {**claims, "sub": ALICE_SUB},
        }
    ]
    # A profile change does not sign anyone out.
    assert SSOSession.objects.count() == 1


def test_account_disabled_deactivates_and_ends_sessions(signed_in_client, idp, received):
    session_key = signed_in_client.session.session_key

    response = post_event(Client(), event_token(idp, event_claims(c.EVENT_ACCOUNT_DISABLED)))

    assert_accepted(response)
    assert alice().is_active is False
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.exists()
    assert "_auth_user_id" not in signed_in_client.session
    assert [call["event_type"] for call in received] == [c.EVENT_ACCOUNT_DISABLED]
    assert received[0]["user"] == alice() and received[0]["claims"] == {}


def test_account_enabled_reactivates(signed_in_client, idp):
    get_user_model().objects.update(is_active=False)

    response = post_event(Client(), event_token(idp, event_claims(c.EVENT_ACCOUNT_ENABLED)))

    assert_accepted(response)
    assert alice().is_active is True


def test_account_purged_anonymises_and_keeps_the_user_row(signed_in_client, idp):
    user_id = alice().pk

    response = post_event(Client(), event_token(idp, event_claims(c.EVENT_ACCOUNT_PURGED)))

    assert_accepted(response)
    user = get_user_model().objects.get(pk=user_id)
    assert (user.is_active, user.email, user.first_name, user.last_name) == (False, "", "", "")
    assert user.username == ALICE_SUB
    assert user.sso_identity.picture == ""
    assert not SSOSession.objects.exists()


def test_events_are_idempotent(signed_in_client, idp):
    """The same change delivered twice (a new jti each attempt) leaves the same shadow."""
    claims = event_claims(c.EVENT_ACCOUNT_PURGED)
    assert_accepted(post_event(Client(), event_token(idp, claims)))
    claims["jti"] = "second-attempt"

    assert_accepted(post_event(Client(), event_token(idp, claims)))

    assert (alice().is_active, alice().email) == (False, "")


def test_replayed_jti_is_refused_and_changes_nothing(signed_in_client, idp):
    token = event_token(idp, event_claims(c.EVENT_ACCOUNT_ENABLED))
    assert_accepted(post_event(Client(), token))
    get_user_model().objects.update(is_active=False)

    response = post_event(Client(), token)

    assert_refused(response, "invalid_request", "jti seen before")
    assert alice().is_active is False


def test_older_event_is_acknowledged_and_not_applied(signed_in_client, idp, received):
    """Retries can arrive out of order: the newer state wins."""
    now = time.time()
    disabled = event_claims(c.EVENT_ACCOUNT_DISABLED, toe=round(now - 1, 6))
    enabled_before = event_claims(c.EVENT_ACCOUNT_ENABLED, toe=round(now - 2, 6))
    assert_accepted(post_event(Client(), event_token(idp, disabled)))

    response = post_event(Client(), event_token(idp, enabled_before))

    assert_accepted(response)
    assert alice().is_active is False
    assert [call["event_type"] for call in received] == [c.EVENT_ACCOUNT_DISABLED]


def test_toe_keeps_microseconds(signed_in_client, idp):
    """Events a few microseconds apart are still told apart."""
    toe = int(time.time()) - 1 + 0.123456

    response = post_event(Client(), event_token(idp, event_claims(toe=toe)))

    assert_accepted(response)
    assert alice().sso_identity.last_event_at.timestamp() == toe


def test_unknown_sub_is_acknowledged_and_changes_nothing(signed_in_client, idp, received):
    other = "7d0c4e62-0000-4000-8000-000000000009"
    sub_id = {"format": "iss_sub", "iss": idp.metadata()["issuer"], "sub": other}
    token = event_token(idp, event_claims(c.EVENT_ACCOUNT_DISABLED, sub=other, sub_id=sub_id))

    response = post_event(Client(), token)

    assert_accepted(response)
    assert alice().is_active is True
    assert SSOSession.objects.count() == 1
    assert [(call["sub"], call["user"]) for call in received] == [(other, None)]


def test_unknown_event_type_is_acknowledged_and_ignored(signed_in_client, idp, received):
    """RFC 8935 §2: a receiver may accept and ignore events it does not handle."""
    event_type = "https://schemas.openid.net/secevent/risc/event-type/credential-change"
    token = event_token(idp, event_claims(event_type, toe=None))

    assert_accepted(post_event(Client(), token))

    assert alice().is_active is True
    assert received == []


def test_failing_receiver_answers_503_and_the_change_stays(signed_in_client, idp, caplog):
    """A broken project hook never keeps a deactivation from taking effect; it is retried."""

    def broken(sender, **kwargs):
        raise RuntimeError("hook bug")

    sso_event_received.connect(broken)
    try:
        response = post_event(Client(), event_token(idp, event_claims(c.EVENT_ACCOUNT_DISABLED)))
    finally:
        sso_event_received.disconnect(broken)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["err"] == "temporarily_unavailable"
    assert alice().is_active is False
    assert "receiver failed" in caplog.text


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"toe": None}, "toe (time of event) missing"),
        ({"toe": "yesterday"}, "toe is not a NumericDate"),
        ({"toe": time.time() + 3600}, "toe is in the future"),
        ({"sub": None}, 'required claim missing: Token is missing the "sub" claim'),
        (
            {"sub_id": {"format": "iss_sub", "iss": "https://idp.test/o", "sub": "someone"}},
            "sub_id names another subject than iss and sub",
        ),
        ({"sub_id": "alice"}, "sub_id is not an iss_sub subject identifier"),
        (
            {"events": {c.EVENT_ACCOUNT_DISABLED: {}, c.EVENT_ACCOUNT_PURGED: {}}},
            "events does not hold exactly one event",
        ),
        ({"events": {}}, "events does not hold exactly one event"),
        ({"events": {c.EVENT_ACCOUNT_DISABLED: []}}, "event payload is not an object"),
        (
            {"events": {c.BACKCHANNEL_LOGOUT_EVENT: {}}},
            "a back-channel logout event is not a security event here",
        ),
        ({"exp": int(time.time()) + 86400}, None),
    ],
)
def test_malformed_event_is_refused_and_changes_nothing(
    signed_in_client, idp, overrides, description
):
    response = post_event(Client(), event_token(idp, event_claims(**overrides)))

    assert response.status_code == 400
    assert response.json()["err"] == "invalid_request"
    if description:
        assert response.json()["description"] == description
    assert alice().is_active is True
    assert SSOSession.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "description"),
    [
        ({}, "token-claims-change payload has no claims object"),
        ({"claims": "Alice"}, "token-claims-change payload has no claims object"),
        ({"claims": {"sub": "someone-else"}}, "claims name another sub than the token"),
    ],
)
def test_claims_change_without_usable_claims_is_refused(
    signed_in_client, idp, payload, description
):
    response = post_event(Client(), event_token(idp, event_claims(c.EVENT_CLAIMS_CHANGE, payload)))

    assert_refused(response, "invalid_request", description)
    assert alice().first_name == "Alice"
    assert alice().sso_identity.last_event_at is None


@pytest.mark.parametrize(
    "content_type", ["application/jwt", "application/x-www-form-urlencoded", ""]
)
def test_wrong_content_type_is_refused(signed_in_client, idp, content_type):
    token = event_token(idp, event_claims())

    response = post_event(Client(), token, content_type=content_type)

    assert_refused(response, "invalid_request", "Content-Type must be application/secevent+jwt")
    assert alice().is_active is True


def test_content_type_parameters_are_allowed(signed_in_client, idp):
    token = event_token(idp, event_claims())

    response = post_event(Client(), token, content_type="application/secevent+jwt; charset=utf-8")

    assert_accepted(response)


def test_body_longer_than_the_bound_is_refused(signed_in_client, idp, settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "EVENT_MAX_BYTES": 100}

    response = post_event(Client(), event_token(idp, event_claims()))

    assert_refused(response, "invalid_request", "body is longer than 100 bytes")
    assert alice().is_active is True


def test_body_that_is_not_ascii_is_refused(db):
    response = post_event(Client(), "é".encode())

    assert_refused(response, "invalid_request", "malformed token")


@pytest.mark.parametrize("method", ["get", "put", "delete", "options"])
def test_other_methods_get_405_json(db, method):
    response = getattr(Client(), method)("/oidc/events/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"err": "invalid_request", "description": "POST a SET here"}


@pytest.mark.parametrize("status", [None, 500, 503])
def test_keys_unreachable_answer_503_with_retry_after(signed_in_client, idp, status):
    """The provider retries a 503; nothing is applied and the jti is not spent."""
    token = event_token(idp, event_claims())

    def jwks_down(url):
        if url.endswith("/jwks.json"):
            if status is None:
                raise requests.ConnectionError("down")
            idp.html_pages["/o/.well-known/jwks.json"] = status

    idp.failure = jwks_down
    caches["sso"].clear()  # the JWKS cached by the sign-in
    response = post_event(Client(), token)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert alice().is_active is True
    idp.failure = None
    idp.html_pages.clear()
    assert_accepted(post_event(Client(), token))
    assert alice().is_active is False
