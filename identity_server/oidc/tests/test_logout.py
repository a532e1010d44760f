"""RP-initiated logout and back-channel logout."""

import json
import threading
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

from events.models import Delivery
from events.services.worker import DeliveryWorker
from events.tests.outbox import no_http
from oidc import constants
from oidc.models import IdPSession
from oidc.services.sessions import idp_sessions_end_for_user
from oidc.tests.flow import code_get, pkce_make, token_exchange

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(browser, shop_a):
    """Alice signed in at the IdP and at shop A: (browser, tokens, application)."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)
    tokens = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()
    return browser, tokens, application


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_shop(signed_in, user):
    """With id_token_hint, /o/logout/ signs out without a prompt and redirects back."""
    browser, tokens, _application = signed_in

    response = browser.get(
        "/o/logout/",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://localhost:8001/",
            "state": "s1",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "http://localhost:8001/?state=s1"
    assert "_auth_user_id" not in browser.session
    session = IdPSession.objects.get(user=user)
    assert session.ended_at is not None


def test_logout_refuses_an_unregistered_post_logout_redirect(signed_in, user):
    """Only a registered post_logout_redirect_uri is followed; the session is kept."""
    browser, tokens, _application = signed_in

    response = browser.get(
        "/o/logout/",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example.net/",
        },
    )

    assert response.status_code == 400
    assert "cannot be completed" in response.content.decode()
    assert "_auth_user_id" in browser.session
    assert IdPSession.objects.get(user=user).ended_at is None


def test_refresh_is_refused_after_the_idp_session_ended(signed_in, shop_a):
    """Sign-out at the IdP ends what the shop can refresh."""
    browser, tokens, application = signed_in
    _application, secret = shop_a
    browser.post("/account/logout/")

    response = browser.post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": application.client_id,
            "client_secret": secret,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_backchannel_logout_token_is_queued_then_posted_by_the_worker(signed_in, user):
    """Sign-out queues a delivery (no HTTP in the request); the worker POSTs a signed logout
    token with sid, sub and the event."""
    browser, _tokens, application = signed_in
    sid = browser.session["idp_sid"]

    with no_http():
        browser.post("/account/logout/")
    delivery = Delivery.objects.get()
    with mock.patch("events.services.delivery.requests.post") as post:
        post.return_value.__enter__.return_value.status_code = 200
        DeliveryWorker(stop=threading.Event(), threads=1).run(once=True)

    delivery.refresh_from_db()
    assert (delivery.kind, delivery.status) == ("logout", "delivered")
    assert delivery.payload == {"sid": sid}
    post.assert_called_once()
    (uri,), kwargs = post.call_args
    assert uri == "http://localhost:8001/oidc/backchannel-logout/"
    assert kwargs["timeout"] == 5
    token = kwargs["data"]["logout_token"]
    key = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    verified = jwt.JWT(key=key, jwt=token)
    claims = json.loads(verified.claims)
    header = json.loads(verified.header)
    assert header["alg"] == "RS256"
    assert header["kid"] == key.thumbprint()
    assert claims["iss"] == "http://localhost:8000/o"
    assert claims["aud"] == application.client_id
    assert claims["sid"] == sid
    assert claims["sub"] == str(user.sub)
    assert claims["events"] == {constants.BACKCHANNEL_LOGOUT_EVENT: {}}
    assert "nonce" not in claims
    assert {"iat", "jti"} <= set(claims)


def test_a_rolled_back_sign_out_queues_nothing(signed_in, user):
    """The outbox row is written in the transaction of the change: a rollback leaves none."""
    session = IdPSession.objects.get(user=user)

    with pytest.raises(RuntimeError), transaction.atomic():
        idp_sessions_end_for_user(user=user)
        assert Delivery.objects.count() == 1
        raise RuntimeError("the change fails")

    assert not Delivery.objects.exists()
    session.refresh_from_db()
    assert session.ended_at is None


def test_no_logout_token_without_participation(browser, shop_a):
    """A shop that never took part in the sid is not told."""

    with no_http() as queued:
        browser.post("/account/logout/")

        assert queued() == []


def test_a_repeated_rp_initiated_logout_returns_to_the_shop(signed_in):
    """A second logout with the same hint (another tab, a retry) is no error page."""
    browser, tokens, _application = signed_in
    params = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "http://localhost:8001/",
        "state": "s2",
    }
    browser.get("/o/logout/", params)

    again = browser.get("/o/logout/", params)

    assert again.status_code == 302
    assert again["Location"] == "http://localhost:8001/?state=s2"


def test_a_cookieless_logout_without_parameters_shows_the_signed_out_page():
    """Nobody signed in, nothing asked: the signed-out page, not an error."""
    response = Client().get("/o/logout/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == "/account/login/"
    assert "You are signed out." in response.content.decode()


def test_rp_initiated_logout_revokes_the_sessions_tokens(signed_in, shop_a):
    """The shop's access token stops working when the user signs out through it."""
    browser, tokens, _application = signed_in

    browser.get("/o/logout/", {"id_token_hint": tokens["id_token"]})

    userinfo = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 401


def test_logout_with_an_unknown_client_id_is_a_clear_error():
    """An unknown client_id is refused with our page, not a 500."""
    response = Client().get(
        "/o/logout/",
        {"client_id": "no-such-client", "post_logout_redirect_uri": "http://localhost:8001/"},
    )

    assert response.status_code == 400
    assert "cannot be completed" in response.content.decode()


def test_logout_with_a_port_above_65535_is_a_clear_error(signed_in, user):
    """A malformed post_logout_redirect_uri is refused; the session is kept."""
    browser, tokens, _application = signed_in

    response = browser.get(
        "/o/logout/",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://localhost:99999/",
        },
    )

    assert response.status_code == 400
    assert IdPSession.objects.get(user=user).ended_at is None


def test_logout_with_a_hint_for_another_client_is_refused(signed_in, shop_b):
    """client_id must be among the hint's audiences."""
    browser, tokens, _application = signed_in
    other, _secret = shop_b

    response = browser.get(
        "/o/logout/", {"id_token_hint": tokens["id_token"], "client_id": other.client_id}
    )

    assert response.status_code == 400
    assert "_auth_user_id" in browser.session
