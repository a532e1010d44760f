"""The session re-check: a session the provider ended is not served past the bound."""

import base64
import json
import time
from urllib.parse import parse_qs

import pytest
import requests
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client

from sso_client import constants as c
from sso_client.checks import check_sso_settings
from sso_client.models import SSOSession
from tests.conftest import CLIENT_ID, CLIENT_SECRET, ISSUER, callback_query

pytestmark = pytest.mark.django_db

INTROSPECT = "/o/introspect/"


@pytest.fixture
def introspecting_idp(idp, monkeypatch):
    """The fake provider, issuing a refresh token and answering RFC 7662 introspection."""
    idp.token_overrides["refresh_token"] = "refresh-1"
    idp.metadata_overrides["introspection_endpoint"] = f"{ISSUER}/introspect/"
    idp.introspection_answer = (200, {"active": True})
    idp.introspections = []
    handle = idp.handle

    def with_introspection(request, timeout):
        if not request.url.endswith(INTROSPECT):
            return handle(request, timeout)
        idp.calls.append((request.method, request.url, timeout))
        if idp.failure is not None:
            idp.failure(request.url)
        idp.introspections.append(
            {
                "authorization": request.headers.get("Authorization"),
                "form": {k: v[0] for k, v in parse_qs(request.body).items()},
            }
        )
        response = requests.Response()
        response.status_code, body = idp.introspection_answer
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(body).encode()
        response.url, response.request = request.url, request
        return response

    monkeypatch.setattr(idp, "handle", with_introspection)
    return idp


@pytest.fixture
def signed_in(client, introspecting_idp):
    """A browser signed in through the provider, with a refresh token on record."""
    response = client.get("/oidc/callback/", callback_query(client, introspecting_idp))
    assert response.status_code == 302
    return client


def age(client, seconds):
    """Make the session's last check `seconds` old."""
    session = client.session
    session[c.SESSION_CHECKED_AT] = time.time() - seconds
    session.save()


def signed_in_user(response):
    return response.wsgi_request.user.is_authenticated


def test_sign_in_keeps_the_refresh_token_server_side_only(signed_in, client):
    record = SSOSession.objects.get()
    assert record.refresh_token == "refresh-1"
    session_data = json.dumps(client.session._session)
    assert "refresh-1" not in session_data
    assert "refresh-1" not in "".join(cookie.value for cookie in client.cookies.values())
    assert time.time() - client.session[c.SESSION_CHECKED_AT] < 5


def test_session_is_not_rechecked_before_the_interval(signed_in, introspecting_idp):
    age(signed_in, 299)

    response = signed_in.get("/")

    assert signed_in_user(response)
    assert introspecting_idp.introspections == []


def test_active_session_is_kept_and_its_check_renewed(signed_in, introspecting_idp):
    age(signed_in, 301)

    response = signed_in.get("/")

    assert signed_in_user(response)
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert introspecting_idp.introspections == [
        {
            "authorization": f"Basic {expected}",
            "form": {"token": "refresh-1", "token_type_hint": "refresh_token"},
        }
    ]
    assert time.time() - signed_in.session[c.SESSION_CHECKED_AT] < 5
    signed_in.get("/")
    assert len(introspecting_idp.introspections) == 1


def test_inactive_session_continues_as_anonymous_and_is_forgotten(signed_in, introspecting_idp):
    """The provider ended the session (sign-out, password change, deactivation)."""
    session_key = signed_in.session.session_key
    introspecting_idp.introspection_answer = (200, {"active": False})
    age(signed_in, 301)

    response = signed_in.get("/")

    assert response.status_code == 200
    assert not signed_in_user(response)
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.exists()
    assert "_auth_user_id" not in signed_in.session


def test_session_without_a_refresh_token_on_record_is_ended(signed_in, introspecting_idp):
    """A session signed in before the re-check existed cannot be vouched for."""
    SSOSession.objects.update(refresh_token="")
    session = signed_in.session
    del session[c.SESSION_CHECKED_AT]
    session.save()

    response = signed_in.get("/")

    assert not signed_in_user(response)
    assert introspecting_idp.introspections == []
    assert not SSOSession.objects.exists()


def _down(url):
    raise requests.ConnectionError("provider down")


@pytest.mark.parametrize(
    "answer", [(503, {"error": "unavailable"}), (500, {}), (401, {"error": "invalid_client"})]
)
def test_provider_failing_keeps_the_session_and_retries_later(
    signed_in, introspecting_idp, answer, caplog
):
    """The provider being down must not sign every customer out."""
    introspecting_idp.introspection_answer = answer
    age(signed_in, 301)

    response = signed_in.get("/")

    assert signed_in_user(response)
    assert SSOSession.objects.count() == 1
    assert "session re-check postponed" in caplog.text
    # Asked again only after SESSION_RECHECK_RETRY_SECONDS (30), not at the next request.
    signed_in.get("/")
    assert len(introspecting_idp.introspections) == 1
    next_check_in = 300 - (time.time() - signed_in.session[c.SESSION_CHECKED_AT])
    assert next_check_in == pytest.approx(30, abs=5)
    age(signed_in, 301)
    introspecting_idp.introspection_answer = (200, {"active": False})
    assert not signed_in_user(signed_in.get("/"))


def test_provider_unreachable_keeps_the_session(signed_in, introspecting_idp):
    introspecting_idp.failure = _down
    age(signed_in, 301)

    response = signed_in.get("/")

    assert signed_in_user(response)
    assert 300 - (time.time() - signed_in.session[c.SESSION_CHECKED_AT]) == pytest.approx(30, abs=5)


def test_answer_without_a_boolean_active_keeps_the_session(signed_in, introspecting_idp):
    introspecting_idp.introspection_answer = (200, {"active": "false"})
    age(signed_in, 301)

    assert signed_in_user(signed_in.get("/"))


def test_provider_without_introspection_endpoint_keeps_the_session(signed_in, introspecting_idp):
    del introspecting_idp.metadata_overrides["introspection_endpoint"]
    caches["sso"].clear()  # the discovery document cached by the sign-in
    age(signed_in, 301)

    assert signed_in_user(signed_in.get("/"))
    assert introspecting_idp.introspections == []


def test_zero_turns_the_recheck_off(signed_in, introspecting_idp, settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SESSION_RECHECK_SECONDS": 0}
    introspecting_idp.introspection_answer = (200, {"active": False})
    age(signed_in, 10**6)

    assert signed_in_user(signed_in.get("/"))
    assert introspecting_idp.introspections == []


def test_interval_is_the_setting(signed_in, introspecting_idp, settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SESSION_RECHECK_SECONDS": 60}
    introspecting_idp.introspection_answer = (200, {"active": False})
    age(signed_in, 61)

    assert not signed_in_user(signed_in.get("/"))


def test_sessions_not_signed_in_through_the_provider_are_left_alone(
    introspecting_idp, django_user_model
):
    user = django_user_model.objects.create_user("local", password="x")
    browser = Client()
    browser.force_login(user)

    assert signed_in_user(browser.get("/"))
    assert introspecting_idp.introspections == []


def test_anonymous_requests_ask_nothing(introspecting_idp):
    assert not signed_in_user(Client().get("/"))
    assert introspecting_idp.calls == []


def ids(problems):
    return [problem.id for problem in problems]


def test_recheck_without_the_middleware_is_a_warning(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "SessionRecheck" not in m]

    assert ids(check_sso_settings()) == ["sso_client.W004"]


def test_recheck_off_needs_no_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "SessionRecheck" not in m]
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SESSION_RECHECK_SECONDS": 0}

    assert ids(check_sso_settings()) == []


def test_recheck_middleware_before_authentication_is_an_error(settings):
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "sso_client.middleware.SessionRecheckMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]

    assert ids(check_sso_settings()) == ["sso_client.E012"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("SESSION_RECHECK_SECONDS", -1), ("SESSION_RECHECK_RETRY_SECONDS", 0), ("EVENT_MAX_BYTES", 0)],
)
def test_recheck_and_event_settings_out_of_range_are_errors(settings, key, value):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, key: value}

    assert ids(check_sso_settings()) == ["sso_client.E011"]


def test_recheck_seconds_must_be_an_integer(settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SESSION_RECHECK_SECONDS": "300"}

    assert ids(check_sso_settings()) == ["sso_client.E008"]
