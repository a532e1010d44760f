"""The Django admin through SSO (sso_client.admin_urls), and sso_client's read-only admin."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from sso_client.models import IdentityLink, SSOSession
from tests.conftest import ISSUER, callback_query

User = get_user_model()
pytestmark = pytest.mark.django_db


def sso_login_url(next_url: str) -> str:
    return f"/oidc/login/?{urlencode({'next': next_url})}"


@pytest.fixture
def superuser_client(django_user_model):
    """A browser of a local superuser, apart from `client`/`signed_in_client`."""
    browser = Client()
    browser.force_login(django_user_model.objects.create_superuser("root", "root@example.com"))
    return browser


# Signing into the admin ------------------------------------------------------------------


def test_admin_sends_an_anonymous_visitor_to_sso(client, idp):
    """/admin/ redirects to the admin login, which hands over to SSO, back to the admin."""
    to_admin_login = client.get("/admin/")
    to_sso = client.get(to_admin_login["Location"])

    assert to_admin_login["Location"] == "/admin/login/?next=/admin/"
    assert to_sso["Location"] == sso_login_url("/admin/")
    assert client.get(to_sso["Location"])["Location"].startswith(f"{ISSUER}/authorize/")


def test_admin_login_keeps_next_on_this_site_only(client):
    assert client.get("/admin/login/", {"next": "/admin/shop/"})["Location"] == sso_login_url(
        "/admin/shop/"
    )
    assert client.get("/admin/login/", {"next": "https://evil.test/"})["Location"] == (
        sso_login_url("/admin/")
    )


def test_staff_signs_into_the_admin_through_sso(client, idp, settings):
    """A member of a SUPERUSER_GROUPS group lands on the admin index after the provider."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SUPERUSER_GROUPS": ["admins"]}
    idp.userinfo["groups"] = ["admins"]
    client.get("/admin/login/", {"next": "/admin/"})

    response = client.get("/oidc/callback/", callback_query(client, idp, next_url="/admin/"))

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_signed_in_staff_goes_straight_to_next(signed_in_client):
    User.objects.update(is_staff=True)

    response = signed_in_client.get("/admin/login/", {"next": "/admin/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_signed_in_customer_gets_a_403_page_not_a_loop(signed_in_client, idp):
    """Someone signed in without staff rights is told so, instead of sent to sign in again."""
    response = signed_in_client.get("/admin/login/", {"next": "/admin/"})

    assert response.status_code == 403
    assert response.templates[0].name == "sso_client/admin_forbidden.html"
    content = response.content.decode()
    assert "No access to the administration" in content
    assert "You are signed in as Alice Liddell" in content
    assert f'action="{reverse("sso_client:logout")}"' in content
    assert idp.urls_called("/o/authorize/") == 0


def test_admin_forbidden_page_extends_the_base_template(signed_in_client, settings, tmp_path):
    (tmp_path / "base.html").write_text("<header>SITE</header>{% block content %}{% endblock %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "BASE_TEMPLATE": "base.html"}

    response = signed_in_client.get("/admin/login/")

    assert response.status_code == 403
    assert "<header>SITE</header>" in response.content.decode()


def test_admin_logout_signs_out_at_the_provider_too(signed_in_client):
    """The admin's "Log out" ends the provider's session, which would sign the user back in."""
    session_key = signed_in_client.session.session_key

    response = signed_in_client.post("/admin/logout/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{ISSUER}/logout/?id_token_hint=")
    assert not Session.objects.filter(session_key=session_key).exists()


def test_admin_logout_needs_post(signed_in_client):
    assert signed_in_client.get("/admin/logout/").status_code == 405
    assert "_auth_user_id" in signed_in_client.session


# The read-only admin of sso_client -------------------------------------------------------


def test_sso_sessions_are_listed_without_session_keys(signed_in_client, superuser_client):
    record = SSOSession.objects.get()

    listing = superuser_client.get("/admin/sso_client/ssosession/")
    detail = superuser_client.get(f"/admin/sso_client/ssosession/{record.pk}/change/")
    history = superuser_client.get(f"/admin/sso_client/ssosession/{record.pk}/history/")

    for response in (listing, detail, history):
        assert response.status_code == 200
        assert record.session_key not in response.content.decode()
    assert "idp-session-1" in listing.content.decode()
    assert record.session_key not in str(record)


def test_sso_sessions_cannot_be_added_changed_or_deleted(signed_in_client, superuser_client):
    record = SSOSession.objects.get()
    base = "/admin/sso_client/ssosession/"

    assert superuser_client.get(f"{base}add/").status_code == 403
    assert superuser_client.post(f"{base}{record.pk}/change/", {"sid": "x"}).status_code == 403
    assert superuser_client.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = superuser_client.post(
        base, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    )

    assert bulk.status_code in (200, 302)
    record.refresh_from_db()
    assert record.sid == "idp-session-1"
    assert Session.objects.filter(session_key=record.session_key).exists()


def test_identity_links_cannot_be_added_changed_or_deleted(signed_in_client, superuser_client):
    link = IdentityLink.objects.get()
    base = "/admin/sso_client/identitylink/"

    assert superuser_client.get(base).status_code == 200
    assert superuser_client.get(f"{base}add/").status_code == 403
    assert superuser_client.post(f"{base}{link.pk}/change/", {"sub": "x"}).status_code == 403
    assert superuser_client.post(f"{base}{link.pk}/delete/", {"post": "yes"}).status_code == 403
    link.refresh_from_db()
    assert link.sub == "2f7c1e0a-0000-4000-8000-000000000001"


def test_deleting_a_user_in_the_admin_takes_its_sessions_and_link(
    signed_in_client, superuser_client
):
    """The rows the admin cannot delete directly still go with their user."""
    shadow = User.objects.get(sso_identity__isnull=False)

    response = superuser_client.post(f"/admin/auth/user/{shadow.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=shadow.pk).exists()
    assert not SSOSession.objects.exists()
    assert not IdentityLink.objects.exists()
    assert signed_in_client.get("/").wsgi_request.user.is_anonymous
