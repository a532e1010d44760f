"""The sign-in flow against a fake provider, and every way it can fail."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sso_client import constants as c
from sso_client.models import SSOSession
from tests.conftest import CLIENT_ID, ISSUER, assert_error_page, callback_query

User = get_user_model()
pytestmark = pytest.mark.django_db


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(url).query).items()}


def test_login_redirects_to_provider_with_state_nonce_and_pkce(client, idp):
    response = client.get("/oidc/login/", {"next": "/orders/"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{ISSUER}/authorize/?")
    query = query_of(response["Location"])
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://testserver/oidc/callback/"
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    assert query["state"] in client.session[c.SESSION_STATES]


def test_callback_signs_in_and_records_session(client, idp):
    """A full sign-in creates the shadow, stores sid and ID token, and follows `next`."""
    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert response.status_code == 302
    assert response["Location"] == "/orders/"
    user = User.objects.get()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert user.first_name == "Alice"
    assert client.session[c.SESSION_SID] == "idp-session-1"
    assert client.session[c.SESSION_ID_TOKEN].count(".") == 2
    assert "oidc_id_token" not in client.session  # stored once, under SESSION_ID_TOKEN
    record = SSOSession.objects.get()
    assert (record.session_key, record.sid, record.user) == (
        client.session.session_key,
        "idp-session-1",
        user,
    )
    assert {timeout for _, _, timeout in idp.calls} == {5}


def test_replayed_callback_fails_without_login(client, idp):
    """The state is single-use: replaying the callback shows the error page."""
    query = callback_query(client, idp)
    assert client.get("/oidc/callback/", query).status_code == 302
    client.logout()

    response = client.get("/oidc/callback/", query)

    assert_error_page(response, 400, "expired or was already used")


def test_callback_in_another_browser_fails(client, idp):
    """A stolen callback URL does not work in a browser that did not start the sign-in."""
    query = callback_query(client, idp)

    response = Client().get("/oidc/callback/", query)

    assert_error_page(response, 400, "expired or was already used")
    assert idp.urls_called("/o/token/") == 0


def test_tampered_state_fails(client, idp):
    query = callback_query(client, idp)

    response = client.get("/oidc/callback/", {**query, "state": query["state"] + "x"})

    assert_error_page(response, 400, "expired or was already used")
    assert idp.urls_called("/o/token/") == 0
    assert User.objects.count() == 0


def test_iss_parameter_of_another_provider_fails(client, idp):
    """RFC 9207: an authorization response from another issuer is refused (mix-up)."""
    query = callback_query(client, idp)

    response = client.get("/oidc/callback/", {**query, "iss": "https://evil.test/o"})

    assert_error_page(response, 400, "could not be verified")
    assert idp.urls_called("/o/token/") == 0


def test_iss_parameter_of_our_provider_is_accepted(client, idp):
    response = client.get("/oidc/callback/", {**callback_query(client, idp), "iss": ISSUER})

    assert response.status_code == 302


def test_missing_iss_fails_when_provider_advertises_it(client, idp):
    idp.metadata_overrides["authorization_response_iss_parameter_supported"] = True

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert_error_page(response, 400, "could not be verified")


def test_consent_denied_shows_page_with_retry_keeping_next(client, idp):
    query = callback_query(client, idp, next_url="/orders/")

    response = client.get("/oidc/callback/", {"error": "access_denied", "state": query["state"]})

    assert_error_page(response, 400, "did not allow")
    assert 'href="/oidc/login/?next=%2Forders%2F"' in response.content.decode()
    assert query["state"] not in client.session[c.SESSION_STATES]


def test_provider_timeout_shows_502_with_retry(client, idp):
    """A provider that does not answer gives a 502 page, never a 500 or a hang."""
    query = callback_query(client, idp)

    def fail(url):
        if url.endswith("/token/"):
            raise requests.ReadTimeout("timed out")

    idp.failure = fail

    response = client.get("/oidc/callback/", query)

    assert_error_page(response, 502, "not reachable")
    assert User.objects.count() == 0


def test_unreachable_provider_at_login_shows_502(client, idp):
    def fail(url):
        raise requests.ConnectionError("refused")

    idp.failure = fail

    response = client.get("/oidc/login/", {"next": "/orders/"})

    assert_error_page(response, 502, "not reachable")
    assert 'href="/oidc/login/?next=%2Forders%2F"' in response.content.decode()
    assert c.SESSION_STATES not in client.session


def test_token_response_that_is_not_json_shows_misconfigured(client, idp):
    """An HTML page where the token response should be is a misconfiguration, not an outage."""
    query = callback_query(client, idp)
    idp.html_pages["/o/token/"] = 200

    response = client.get("/oidc/callback/", query)

    assert_error_page(response, 502, "not set up correctly")
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "page_status", "text"),
    [(503, 502, "not reachable"), (401, 400, "could not be verified")],
)
def test_userinfo_error_shows_page(client, idp, status, page_status, text):
    """A 5xx from userinfo is an outage (502); a 4xx refuses the tokens (400)."""
    query = callback_query(client, idp)
    idp.html_pages["/o/userinfo/"] = status

    response = client.get("/oidc/callback/", query)

    assert_error_page(response, page_status, text)
    assert User.objects.count() == 0


def test_off_site_next_is_ignored(client, idp):
    query = callback_query(client, idp, next_url="https://evil.example/phish")

    response = client.get("/oidc/callback/", query)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_invalid_id_token_fails(client, idp):
    idp.id_token_overrides["aud"] = "another-client"

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert_error_page(response, 400, "could not be verified")
    assert User.objects.count() == 0


def test_userinfo_about_another_subject_fails(client, idp):
    idp.id_token_overrides["sub"] = "someone-else"

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert_error_page(response, 400, "could not be verified")
    assert User.objects.count() == 0


def test_deactivated_shadow_cannot_sign_in(client, idp):
    client.get("/oidc/callback/", callback_query(client, idp))
    client.logout()
    User.objects.update(is_active=False)

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert_error_page(response, 400, "disabled")


def test_error_page_extends_configured_base_template(client, idp, settings, tmp_path):
    (tmp_path / "base.html").write_text("<header>SHOP</header>{% block content %}{% endblock %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "BASE_TEMPLATE": "base.html"}

    response = client.get("/oidc/callback/", {"state": "nope", "code": "x"})

    assert response.status_code == 400
    assert "<header>SHOP</header>" in response.content.decode()


def test_logout_redirects_to_end_session_endpoint(signed_in_client):
    id_token = signed_in_client.session[c.SESSION_ID_TOKEN]
    session_key = signed_in_client.session.session_key

    response = signed_in_client.post("/oidc/logout/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{ISSUER}/logout/?")
    assert query_of(response["Location"]) == {
        "id_token_hint": id_token,
        "client_id": CLIENT_ID,
        "post_logout_redirect_uri": "http://testserver/",
    }
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.exists()


def test_logout_without_id_token_is_local_only(client, idp, django_user_model):
    client.force_login(django_user_model.objects.create_user("bob"))

    response = client.post("/oidc/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(signed_in_client):
    assert signed_in_client.get("/oidc/logout/").status_code == 405
    assert "_auth_user_id" in signed_in_client.session


def test_profile_change_at_sign_in_keeps_other_sessions(signed_in_client, idp):
    """A sign-in that updates the shadow's profile leaves its other browsers signed in."""
    idp.userinfo["given_name"] = "Alicia"
    other_browser = Client()

    other_browser.get("/oidc/callback/", callback_query(other_browser, idp))

    assert User.objects.get().first_name == "Alicia"
    assert signed_in_client.get("/").wsgi_request.user.is_authenticated


def test_session_of_deactivated_shadow_is_anonymous(signed_in_client):
    """A shadow deactivated after sign-in is signed out at its next request."""
    User.objects.update(is_active=False)

    response = signed_in_client.get("/")

    assert response.wsgi_request.user.is_anonymous


def test_password_authentication_is_not_handled_by_the_sso_backend(rf, django_user_model):
    """authenticate() with a username and password is left to other backends."""
    from django.contrib.auth import authenticate

    django_user_model.objects.create_user("bob", password="bob-pass-123")

    assert authenticate(rf.post("/admin/login/"), username="bob", password="bob-pass-123") is None


def test_callback_writes_last_login_once(client, idp):
    """The shadow's INSERT carries last_login; the login() signal adds no UPDATE of it."""
    query = callback_query(client, idp)
    with CaptureQueriesContext(connection) as context:
        client.get("/oidc/callback/", query)

    user = User.objects.get()
    assert user.last_login is not None
    updates = [q["sql"] for q in context.captured_queries if q["sql"].startswith("UPDATE")]
    assert updates == []


def test_other_logins_still_store_last_login(client):
    """Django's update_last_login still runs for a login() that is not the callback's."""
    user = User.objects.create_user(username="local")

    client.force_login(user)

    user.refresh_from_db()
    assert user.last_login is not None
