"""The identity server's sessions: sso_client's engine (tested with sso_client)."""

import pytest
from conftest import PASSWORD
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from oidc.models import IdPSession

pytestmark = pytest.mark.django_db


def test_the_identity_server_uses_this_engine():
    """SESSION_ENGINE names the engine the shops use, one write per request."""
    assert settings.SESSION_ENGINE == "sso_client.session_engine"


def test_sign_in_records_the_written_session_key(user):
    """The IdP session holds the key of the browser's session row, and the cookie has it."""
    browser = Client()

    response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    assert IdPSession.objects.get(user=user).session_key == key
