"""Account pages: register, sign in, sign out, profile."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from oidc.models import IdPSession

User = get_user_model()
pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"
REGISTRATION = {
    "email": "Ada@Example.com",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "password1": "analytical-engine-1843",
    "password2": "analytical-engine-1843",
}


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    """Return a small valid PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "purple").save(buffer, format="PNG")
    return buffer.getvalue()


def test_login_page_has_the_contract_fields_and_a_register_link(client):
    """The sign-in form posts username/password/next and links to registration with next."""
    response = client.get("/account/login/", {"next": "/o/authorize/?client_id=x"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="next" value="/o/authorize/?client_id=x"' in html
    assert "/account/register/?next=/o/authorize/%3Fclient_id%3Dx" in html


def test_register_refuses_different_passwords(client):
    """The second password must match, and nothing is created when it does not."""
    response = client.post("/account/register/", {**REGISTRATION, "password2": "other-one-1843"})

    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.exists()


def test_login_with_email_in_any_case(client, user):
    """The email is matched case-insensitively and the IdP session starts."""
    response = client.post(
        "/account/login/", {"username": "ALICE@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["idp_sid"] == IdPSession.objects.get(user=user).sid
    assert isinstance(client.session["idp_auth_time"], float)
    assert AuditEvent.objects.filter(kind="sign_in", subject_user=user).count() == 1


def test_wrong_password_is_refused_and_audited(client, user):
    """A failed sign-in shows an error, opens no session and is recorded."""
    response = client.post("/account/login/", {"username": user.email, "password": "nope"})

    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not IdPSession.objects.exists()
    assert AuditEvent.objects.filter(kind="sign_in_failed", subject_user=user).count() == 1


def test_signing_in_again_keeps_the_sid(client, user):
    """Re-authentication in the same browser moves auth_time, not the sid the shops know."""
    client.post("/account/login/", {"username": user.email, "password": PASSWORD})
    sid = client.session["idp_sid"]

    client.post("/account/login/", {"username": user.email, "password": PASSWORD})

    assert client.session["idp_sid"] == sid
    assert IdPSession.objects.filter(user=user).count() == 1


def test_deactivated_user_cannot_sign_in(client, make_user):
    """An inactive account is refused with the right password."""
    make_user(email="gone@example.com", is_active=False)

    response = client.post(
        "/account/login/", {"username": "gone@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not IdPSession.objects.exists()


def test_logout_needs_post(client, user):
    """GET shows a confirmation; only POST signs out and ends the IdP session."""
    client.post("/account/login/", {"username": user.email, "password": PASSWORD})

    page = client.get("/account/logout/")

    assert page.status_code == 200
    assert "_auth_user_id" in client.session
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not IdPSession.objects.filter(ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(kind="sign_out", subject_user=user).exists()


def test_profile_requires_sign_in(client):
    """Anonymous visitors are sent to the sign-in page."""
    response = client.get("/account/profile/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/account/profile/")


def test_profile_saves_fields_and_avatar(client, user):
    """Saving shows "Profile saved", stores the picture and records the change."""
    client.force_login(user)
    avatar = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")

    response = client.post(
        "/account/profile/",
        {
            "given_name": "Alicia",
            "family_name": "Liddell",
            "nickname": "al",
            "locale": "en-GB",
            "phone_number": "+44 20 7946 0958",
            "avatar": avatar,
        },
        follow=True,
    )

    user.refresh_from_db()
    assert "Profile saved" in response.content.decode()
    assert user.given_name == "Alicia"
    assert user.locale == "en-GB"
    assert user.avatar.name.startswith("avatars/")
    event = AuditEvent.objects.get(kind="profile_changed")
    assert sorted(event.data["fields"]) == sorted(
        ["given_name", "nickname", "locale", "phone_number", "avatar"]
    )


def test_profile_refuses_a_file_that_is_not_an_image(client, user):
    """A text file named .png is rejected and nothing changes."""
    client.force_login(user)
    fake = SimpleUploadedFile("me.png", b"not an image at all", content_type="image/png")

    response = client.post(
        "/account/profile/", {"given_name": "Mallory", "family_name": "x", "avatar": fake}
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert user.given_name == "Alice"
    assert not user.avatar
    assert not AuditEvent.objects.filter(kind="profile_changed").exists()


def test_profile_refuses_an_avatar_over_2_mb(client, user, monkeypatch):
    """A picture over 2 MB is refused with a clear message."""
    monkeypatch.setattr("accounts.validators.AVATAR_MAX_BYTES", 10)
    client.force_login(user)
    avatar = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")

    response = client.post("/account/profile/", {"avatar": avatar})

    user.refresh_from_db()
    assert response.status_code == 200
    assert "The picture is larger than 2 MB." in response.content.decode()
    assert not user.avatar
    assert not AuditEvent.objects.filter(kind="profile_changed").exists()


def test_profile_page_shows_the_avatar_and_serves_it(client, user):
    """The avatar is served under /media/ by the project itself."""
    client.force_login(user)
    client.post(
        "/account/profile/",
        {"avatar": SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")},
    )
    user.refresh_from_db()

    response = Client().get(user.avatar.url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
