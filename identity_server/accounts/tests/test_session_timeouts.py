"""IdP session lifetime: idle timeout, absolute lifetime, last_seen, the sweeper command."""

import io
from datetime import datetime, timedelta
from unittest import mock

import pytest
from conftest import PASSWORD
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_grant_model

from accounts.middleware import ENDED_MESSAGE, EXPIRED_MESSAGE
from audit.models import AuditEvent
from events.tests.outbox import no_http
from oidc.models import IdPSession
from oidc.tests.flow import authorize_params, code_get, pkce_make, query, token_exchange

pytestmark = pytest.mark.django_db

IDLE = 600
MAX_AGE = 3600
SHOP_A_LOGOUT = "http://localhost:8001/oidc/backchannel-logout/"


class Clock:
    """The time every ``timezone.now()`` call returns, moved on by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(settings):
    """A controllable clock, with a 10-minute idle timeout and a one-hour lifetime."""
    settings.IDP_SESSION_IDLE_SECONDS = IDLE
    settings.IDP_SESSION_MAX_AGE_SECONDS = MAX_AGE
    clock = Clock(timezone.now())
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock


@pytest.fixture
def backchannel():
    """The logout URIs the outbox holds (a function); the request itself POSTs nothing."""
    with no_http() as queued:
        yield queued


def sign_in(user) -> Client:
    browser = Client()
    response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


@pytest.fixture
def alice(clock, user) -> Client:
    """Alice's browser, signed in at the IdP on the test's clock."""
    return sign_in(user)


@pytest.fixture
def shop_tokens(alice, shop_a) -> dict:
    """Shop A's tokens from Alice's IdP session."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(alice, application.client_id, pkce)
    return token_exchange(alice, application.client_id, secret, code, pkce.verifier).json()


def idp_session_queries(browser: Client, path: str = "/healthz") -> list[str]:
    """Request ``path`` and return the SQL of the queries that touched IdP sessions."""
    with CaptureQueriesContext(connection) as queries:
        browser.get(path)
    return [q["sql"] for q in queries.captured_queries if "oidc_idpsession" in q["sql"]]


# Idle timeout and absolute lifetime, at the next request


def test_an_idle_session_is_signed_out_at_the_next_request(
    clock, alice, user, shop_tokens, backchannel, django_capture_on_commit_callbacks
):
    """Idle past the timeout: signed out, told why, its shop told and its tokens revoked."""
    clock.advance(IDLE + 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice.get("/account/profile/", follow=True)

    session = IdPSession.objects.get(user=user)
    assert response.redirect_chain[0] == ("/account/login/?next=/account/profile/", 302)
    assert EXPIRED_MESSAGE in response.content.decode()
    assert session.ended_at == clock.now
    assert backchannel() == [SHOP_A_LOGOUT]
    userinfo = Client().get(
        "/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {shop_tokens['access_token']}"
    )
    assert userinfo.status_code == 401
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_ENDED)
    assert event.data == {"sid": session.sid, "reason": "idle"}


def test_activity_keeps_a_session_open_past_the_idle_timeout(clock, alice, user):
    """A request every few minutes keeps the session, for longer than the idle timeout."""
    for _ in range(4):
        clock.advance(IDLE - 100)
        assert alice.get("/account/profile/").status_code == 200

    assert IdPSession.objects.get(user=user).ended_at is None


def test_a_session_older_than_its_lifetime_is_signed_out_even_when_busy(clock, alice, user):
    """Activity does not stretch the absolute lifetime."""
    step = IDLE - 100
    for _ in range(MAX_AGE // step):
        clock.advance(step)
        assert alice.get("/account/profile/").status_code == 200

    clock.advance(step)
    response = alice.get("/account/profile/", follow=True)

    session = IdPSession.objects.get(user=user)
    assert EXPIRED_MESSAGE in response.content.decode()
    assert session.ended_at is not None
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_ENDED)
    assert event.data["reason"] == "lifetime"


def test_a_session_ended_elsewhere_signs_this_browser_out(clock, alice, user):
    """An IdP session ended while its browser kept its cookie: the next request signs out."""
    alice.get("/healthz")
    IdPSession.objects.filter(user=user).update(ended_at=clock.now)
    clock.advance(5)

    response = alice.get("/account/profile/", follow=True)

    assert response.redirect_chain[0][0].startswith("/account/login/")
    assert ENDED_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in alice.session


def test_an_expired_session_gets_no_authorization_code(clock, alice, shop_a):
    """The authorize endpoint sees an anonymous user: the sign-in page, and no code."""
    application, _secret = shop_a
    clock.advance(IDLE + 1)

    response = alice.get("/o/authorize/", authorize_params(application.client_id, pkce_make()))

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert not get_grant_model().objects.exists()


def test_an_expired_session_answers_prompt_none_with_login_required(clock, alice, shop_a):
    """A silent sign-in with an expired session: login_required to the shop, no code."""
    application, _secret = shop_a
    clock.advance(IDLE + 1)

    response = alice.get(
        "/o/authorize/", authorize_params(application.client_id, pkce_make(), prompt="none")
    )

    assert response.status_code == 302
    assert query(response["Location"])["error"] == "login_required"
    assert "code" not in query(response["Location"])
    assert not get_grant_model().objects.exists()


# Request cost: last_seen written at most once a minute, one query per request


def test_last_seen_is_written_at_most_once_a_minute(clock, alice, user):
    """The sign-in records last_seen; requests within a minute of a write do not write it."""
    signed_in = clock.now
    clock.advance(30)
    first = idp_session_queries(alice)
    unchanged = IdPSession.objects.get(user=user).last_seen

    clock.advance(31)
    after = idp_session_queries(alice)
    moved = IdPSession.objects.get(user=user).last_seen

    clock.advance(30)
    within = idp_session_queries(alice)
    kept = IdPSession.objects.get(user=user).last_seen

    assert unchanged == signed_in
    assert moved == clock.now - timedelta(seconds=30)
    assert kept == moved
    assert [sql.split()[0] for sql in (*first, *after, *within)] == ["SELECT", "UPDATE", "SELECT"]


def test_the_page_after_sign_in_writes_no_session(alice):
    """The sign-in recorded last_seen: the next page checks the IdP session and writes nothing."""
    with CaptureQueriesContext(connection) as queries:
        response = alice.get("/account/profile/")

    assert response.status_code == 200
    assert not [q["sql"] for q in queries if q["sql"].split()[0] in ("UPDATE", "INSERT")]


def test_an_anonymous_request_asks_nothing_about_sessions(clock, db):
    """Visitors who are not signed in cost no session query."""
    assert idp_session_queries(Client(), "/account/login/") == []


# The sweeper: sessions whose browser never came back


def test_the_sweeper_ends_idle_sessions_and_tells_their_shops(
    clock, alice, user, shop_tokens, make_user, backchannel, django_capture_on_commit_callbacks
):
    """Idle sessions end (rows, Django sessions, shops told); active ones stay; run twice."""
    bob = make_user(email="bob@example.com", given_name="Bob")
    bobs_browser = sign_in(bob)
    clock.advance(IDLE - 200)
    bobs_browser.get("/healthz")
    clock.advance(300)
    alices_session = IdPSession.objects.get(user=user)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("end_expired_sessions", stdout=out)
        call_command("end_expired_sessions", stdout=out)

    alices_session.refresh_from_db()
    assert out.getvalue().splitlines() == ["Ended 1 expired session.", "Ended 0 expired sessions."]
    assert alices_session.ended_at == clock.now
    assert not Session.objects.filter(session_key=alices_session.session_key).exists()
    assert IdPSession.objects.get(user=bob).ended_at is None
    assert backchannel() == [SHOP_A_LOGOUT]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_ENDED)
    assert (event.actor, event.subject_user) == (None, user)
    assert event.data == {"sid": alices_session.sid, "reason": "idle"}
    assert alice.get("/account/profile/").status_code == 302


def test_the_sweeper_allows_for_the_throttled_last_seen(clock, alice, user):
    """A session seen less than the idle timeout plus a minute ago may still be in use."""
    clock.advance(IDLE + 30)

    call_command("end_expired_sessions", stdout=io.StringIO())

    assert IdPSession.objects.get(user=user).ended_at is None


def test_the_sweeper_ends_sessions_past_their_lifetime(clock, alice, user):
    """A session seen a moment ago but older than the lifetime ends too."""
    IdPSession.objects.filter(user=user).update(
        created=clock.now - timedelta(seconds=MAX_AGE + 1), last_seen=clock.now
    )

    call_command("end_expired_sessions", stdout=io.StringIO())

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_ENDED)
    assert IdPSession.objects.get(user=user).ended_at == clock.now
    assert event.data["reason"] == "lifetime"
