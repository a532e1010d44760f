"""Every change an admin makes to a user goes through a service and is audited."""

import io

import pytest
from conftest import PASSWORD
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from PIL import Image

from accounts.tests.staff import admin_client_for
from audit.models import AuditEvent
from events.tests.outbox import no_http
from oidc.models import IdPSession
from oidc.tests.flow import tokens_get

User = get_user_model()
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"
BACKCHANNEL_URI = "http://localhost:8001/oidc/backchannel-logout/"


@pytest.fixture
def backchannel():
    """The logout URIs the outbox holds (a function); the request itself POSTs nothing."""
    with no_http() as queued:
        yield queued


@pytest.fixture
def alice_at_shop(browser, user, shop_a) -> dict:
    """Alice signed in at the IdP (``browser``) and at shop A; return shop A's tokens."""
    application, secret = shop_a
    return tokens_get(browser, application.client_id, secret)


def change_form_data(user, **changes) -> dict:
    """The user change form as the admin page posts it, with ``changes`` applied."""
    data = {
        name: getattr(user, name)
        for name in ["email", "given_name", "family_name", "nickname", "phone_number", "locale"]
    }
    for flag in ["email_verified", "is_active", "is_staff", "is_superuser"]:
        if getattr(user, flag):
            data[flag] = "on"
    data["groups"] = [group.pk for group in user.groups.all()]
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change(admin_client: Client, user, **changes):
    """Post the change form of ``user`` and check it was accepted."""
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/change/", change_form_data(user, **changes)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    return response


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def events(kind: AuditEvent.Kind) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def userinfo_status(tokens: dict) -> int:
    authorization = f"Bearer {tokens['access_token']}"
    return Client().get("/o/userinfo/", HTTP_AUTHORIZATION=authorization).status_code


# The change form


def test_adding_a_group_is_audited_with_the_admin_as_actor(admin_client, root, user):
    """Putting a user in a group writes it and records USER_CHANGED naming the group."""
    shop_admins = Group.objects.create(name="shop-admins")

    change(admin_client, user, groups=[shop_admins.pk])

    assert list(user.groups.values_list("name", flat=True)) == ["shop-admins"]
    (event,) = events(AuditEvent.Kind.USER_CHANGED)
    assert (event.actor, event.subject_user) == (root, user)
    assert event.data == {
        "fields": ["groups"],
        "groups_added": ["shop-admins"],
        "groups_removed": [],
    }


def test_removing_a_group_is_audited(admin_client, user):
    """Taking a user out of a group names the group removed."""
    shop_admins = Group.objects.create(name="shop-admins")
    user.groups.add(shop_admins)

    change(admin_client, user, groups=[])

    assert not user.groups.exists()
    (event,) = events(AuditEvent.Kind.USER_CHANGED)
    assert event.data["groups_removed"] == ["shop-admins"]


def test_granting_staff_and_superuser_is_audited_with_the_new_values(admin_client, root, user):
    """Rights granted are recorded field by field, with their new values."""
    change(admin_client, user, is_staff="on", is_superuser="on")

    assert (user.is_staff, user.is_superuser) == (True, True)
    (event,) = events(AuditEvent.Kind.USER_CHANGED)
    assert event.actor == root
    assert event.data == {
        "fields": ["is_staff", "is_superuser"],
        "is_staff": True,
        "is_superuser": True,
    }


def test_granting_a_permission_is_audited(admin_client, user):
    """A user permission granted is named app_label.codename."""
    permission = Permission.objects.get(codename="view_user")

    change(admin_client, user, user_permissions=[permission.pk])

    assert list(user.user_permissions.all()) == [permission]
    (event,) = events(AuditEvent.Kind.USER_CHANGED)
    assert event.data["permissions_added"] == ["accounts.view_user"]


def test_an_admin_sets_the_email_and_says_whether_it_is_verified(admin_client, root, make_user):
    """The email is stored lower-cased with the verified flag the admin chose."""
    alice = make_user(email_verified=True)

    change(admin_client, alice, email="Alice.New@Example.com", email_verified=None)

    assert (alice.email, alice.email_verified) == ("alice.new@example.com", False)
    (event,) = events(AuditEvent.Kind.USER_CHANGED)
    assert event.actor == root
    assert event.data == {
        "fields": ["email", "email_verified"],
        "email": {"old": "alice@example.com", "new": "alice.new@example.com"},
        "email_verified": False,
    }


def test_an_email_of_another_account_is_a_form_error(admin_client, make_user):
    """Another account's address (in any case) is refused on the form; nothing changes."""
    alice = make_user()
    make_user(email="bob@example.com")

    response = admin_client.post(
        f"/admin/accounts/user/{alice.pk}/change/", change_form_data(alice, email="BOB@example.com")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_CHANGED).exists()


def test_profile_fields_go_through_the_profile_service(admin_client, root, user):
    """A name change is PROFILE_CHANGED by the admin; no account field is recorded."""
    change(admin_client, user, given_name="Alicia", nickname="Al")

    assert (user.given_name, user.nickname) == ("Alicia", "Al")
    (event,) = events(AuditEvent.Kind.PROFILE_CHANGED)
    assert (event.actor, event.subject_user) == (root, user)
    assert event.data == {"fields": ["given_name", "nickname"]}
    assert not events(AuditEvent.Kind.USER_CHANGED)


def test_an_avatar_set_and_cleared_by_an_admin_goes_through_the_profile_service(
    admin_client, root, user
):
    """Upload then "clear": each a PROFILE_CHANGED of the avatar by the admin."""
    upload = SimpleUploadedFile("face.png", png_bytes(), content_type="image/png")

    change(admin_client, user, avatar=upload)
    stored = user.avatar.name
    change(admin_client, user, **{"avatar-clear": "on"})

    assert stored.startswith("avatars/")
    assert not user.avatar
    changes = events(AuditEvent.Kind.PROFILE_CHANGED)
    assert [(e.actor, e.data) for e in changes] == [(root, {"fields": ["avatar"]})] * 2


def test_saving_an_unchanged_form_records_nothing(admin_client, root, user):
    """No change, no write, no audit event."""
    before = user.updated_at

    change(admin_client, user)

    assert user.updated_at == before
    assert not AuditEvent.objects.filter(actor=root).exclude(kind=AuditEvent.Kind.SIGN_IN)


def test_reactivating_is_audited(admin_client, root, make_user):
    """Ticking "active" again lets the user sign in and records REACTIVATED."""
    alice = make_user(is_active=False)

    change(admin_client, alice, is_active="on")

    assert alice.is_active is True
    (event,) = events(AuditEvent.Kind.REACTIVATED)
    assert (event.actor, event.subject_user) == (root, alice)
    assert Client().login(username=alice.email, password=PASSWORD)


def test_deactivating_ends_sessions_and_revokes_tokens(
    admin_client, user, alice_at_shop, backchannel, django_capture_on_commit_callbacks
):
    """Unticking "active" signs the user out at the IdP and the shops; tokens stop working."""
    with django_capture_on_commit_callbacks(execute=True):
        change(admin_client, user, is_active=None)

    assert user.is_active is False
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert userinfo_status(alice_at_shop) == 401
    assert backchannel() == [BACKCHANNEL_URI]


# Rights: only superusers grant them


@pytest.fixture
def helpdesk(db):
    """Staff who may change users, not a superuser."""
    staff = User.objects.create_user(email="helpdesk@example.com", password=PASSWORD, is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    return staff


def test_staff_who_are_not_superusers_cannot_grant_rights(helpdesk, make_user):
    """is_staff, is_superuser and groups are read-only for them: a forged post changes nothing."""
    alice = make_user()
    group = Group.objects.create(name="shop-admins")
    client = admin_client_for(helpdesk)

    response = client.post(
        f"/admin/accounts/user/{alice.pk}/change/",
        change_form_data(alice, is_staff="on", is_superuser="on", groups=[group.pk]),
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.is_staff, alice.is_superuser) == (False, False)
    assert not alice.groups.exists()
    assert not events(AuditEvent.Kind.USER_CHANGED)


def test_staff_who_are_not_superusers_cannot_change_a_superuser(helpdesk, root):
    """A superuser's email and password are out of their reach."""
    client = admin_client_for(helpdesk)

    edit = client.post(
        f"/admin/accounts/user/{root.pk}/change/",
        change_form_data(root, email="attacker@example.com"),
    )
    password = client.post(
        f"/admin/accounts/user/{root.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert edit.status_code == 403
    assert password.status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.com"
    assert root.check_password(PASSWORD)


# Adding a user


def test_adding_a_user_is_audited(admin_client, root):
    """The add form creates the account through the service, REGISTERED by the admin."""
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New@Example.com",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(email="new@example.com")
    assert created.check_password(NEW_PASSWORD)
    (event,) = events(AuditEvent.Kind.REGISTERED)
    assert (event.actor, event.subject_user) == (root, created)
    assert event.data == {"by_admin": True, "usable_password": True}
    assert NEW_PASSWORD not in str(event.data)


def test_adding_a_user_with_a_short_password_is_a_form_error(admin_client):
    """The password policy holds in the admin too: nothing is created."""
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "new@example.com",
            "usable_password": "true",
            "password1": "short-pw",
            "password2": "short-pw",
        },
    )

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="new@example.com").exists()
    assert not events(AuditEvent.Kind.REGISTERED)


# Passwords


def password_url(user) -> str:
    return f"/admin/accounts/user/{user.pk}/password/"


def test_setting_a_password_ends_every_session_and_token_of_the_user(
    admin_client,
    root,
    user,
    browser,
    alice_at_shop,
    backchannel,
    django_capture_on_commit_callbacks,
):
    """The admin's new password signs the user out at the IdP and the shops; tokens die."""
    session = IdPSession.objects.get(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            password_url(user), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{user.pk}/change/"
    user.refresh_from_db()
    session.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert session.ended_at is not None
    assert not Session.objects.filter(session_key=session.session_key).exists()
    assert browser.get("/account/profile/").status_code == 302, "Alice must sign in again"
    assert userinfo_status(alice_at_shop) == 401
    assert not RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()
    assert not AccessToken.objects.filter(user=user).exists()
    assert backchannel() == [BACKCHANNEL_URI]
    (event,) = events(AuditEvent.Kind.PASSWORD_CHANGED)
    assert (event.actor, event.subject_user) == (root, user)
    assert event.data == {"sessions_ended": 1}
    assert admin_client.get("/admin/").status_code == 200, "the admin stays signed in"


def test_disabling_password_sign_in_ends_every_session(admin_client, root, user, browser):
    """ "Disabled" makes the password unusable and signs the user out everywhere."""
    response = admin_client.post(
        password_url(user), {"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert browser.get("/account/profile/").status_code == 302
    (event,) = events(AuditEvent.Kind.PASSWORD_CHANGED)
    assert event.actor == root
    assert event.data == {"sessions_ended": 1, "usable_password": False}


def test_a_password_the_policy_refuses_changes_nothing(admin_client, user, browser):
    """A too-short password is a form error; the old password and the sessions remain."""
    response = admin_client.post(
        password_url(user), {"password1": "short-pw", "password2": "short-pw"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert not events(AuditEvent.Kind.PASSWORD_CHANGED)


def test_an_admin_who_sets_their_own_password_is_signed_out_too(admin_client, root):
    """The admin's own sessions end with the others: they sign in again with the password."""
    response = admin_client.post(
        password_url(root), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    root.refresh_from_db()
    assert root.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in admin_client.session
    assert not IdPSession.objects.filter(user=root, ended_at__isnull=True).exists()
    assert admin_client.get("/admin/").status_code == 302


# Ending all sessions


def test_the_end_sessions_action_signs_the_user_out_everywhere(
    admin_client,
    root,
    user,
    browser,
    alice_at_shop,
    backchannel,
    django_capture_on_commit_callbacks,
):
    """The list action ends Alice's IdP sessions, tokens and shop sessions, audited."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "end_sessions", "_selected_action": [user.pk]},
        )

    assert response.status_code == 302
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert browser.get("/account/profile/").status_code == 302
    assert userinfo_status(alice_at_shop) == 401
    assert backchannel() == [BACKCHANNEL_URI]
    (event,) = events(AuditEvent.Kind.SESSIONS_ENDED)
    assert (event.actor, event.subject_user) == (root, user)
    assert event.data["count"] == 1
    user.refresh_from_db()
    assert user.check_password(PASSWORD), "the password is left alone"


def test_the_end_sessions_button_asks_first_then_ends_them(admin_client, root, user, browser):
    """GET shows a confirmation and ends nothing; POST ends the sessions."""
    url = f"/admin/accounts/user/{user.pk}/end-sessions/"
    change_page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    asked = admin_client.get(url)

    assert url in change_page
    assert asked.status_code == 200
    assert "Yes, end all sessions" in asked.content.decode()
    assert IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()

    done = admin_client.post(url)

    assert done.status_code == 302
    assert done["Location"] == f"/admin/accounts/user/{user.pk}/change/"
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert browser.get("/account/profile/").status_code == 302
    assert events(AuditEvent.Kind.SESSIONS_ENDED)[0].actor == root


def test_a_customer_cannot_end_anyones_sessions(browser, make_user):
    """The admin page is closed to a signed-in customer; the sessions stay open."""
    bob = make_user(email="bob@example.com")
    bobs_browser = Client()
    bobs_browser.post("/account/login/", {"username": bob.email, "password": PASSWORD})

    response = browser.post(f"/admin/accounts/user/{bob.pk}/end-sessions/")

    assert response.status_code in (302, 403)
    assert IdPSession.objects.filter(user=bob, ended_at__isnull=True).exists()
    assert not events(AuditEvent.Kind.SESSIONS_ENDED)


def test_the_reactivate_action_is_audited(admin_client, root, make_user):
    """Reactivating from the list records REACTIVATED for each inactive user."""
    alice = make_user(is_active=False)

    admin_client.post(
        "/admin/accounts/user/", {"action": "reactivate", "_selected_action": [alice.pk]}
    )

    alice.refresh_from_db()
    assert alice.is_active is True
    assert [(e.actor, e.subject_user) for e in events(AuditEvent.Kind.REACTIVATED)] == [
        (root, alice)
    ]


def test_the_deactivate_action_is_audited_and_ends_sessions(admin_client, root, user, browser):
    """Deactivating from the list signs the user out and records DEACTIVATED by the admin."""
    admin_client.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [user.pk]}
    )

    user.refresh_from_db()
    assert user.is_active is False
    assert browser.get("/account/profile/").status_code == 302
    assert [(e.actor, e.subject_user) for e in events(AuditEvent.Kind.DEACTIVATED)] == [
        (root, user)
    ]


# An admin acting on their own account: this browser's session ends too


def test_an_admin_who_ends_their_own_sessions_is_signed_out_cleanly(admin_client, root):
    """No "session deleted" error: the admin lands on the sign-in, every session ended."""
    response = admin_client.post(f"/admin/accounts/user/{root.pk}/end-sessions/")

    assert response.status_code == 302
    assert not IdPSession.objects.filter(user=root, ended_at__isnull=True).exists()
    assert admin_client.get("/admin/").status_code == 302
    assert events(AuditEvent.Kind.SESSIONS_ENDED)[0].subject_user == root


def test_an_admin_who_deactivates_themselves_is_signed_out_cleanly(admin_client, root):
    """Unticking one's own "active" saves, audits and signs this browser out."""
    response = admin_client.post(
        f"/admin/accounts/user/{root.pk}/change/", change_form_data(root, is_active=None)
    )

    assert response.status_code == 302
    root.refresh_from_db()
    assert root.is_active is False
    assert "_auth_user_id" not in admin_client.session
    assert len(events(AuditEvent.Kind.DEACTIVATED)) == 1


def test_conflicting_password_form_data_changes_nothing(admin_client, user, browser):
    """ "Disabled" without its own button is Django's conflict: nothing changes, no session ends."""
    response = admin_client.post(password_url(user), {"usable_password": "false"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert not events(AuditEvent.Kind.PASSWORD_CHANGED)


def test_deleting_a_user_is_audited_with_who_it_was(admin_client, root, user):
    """The delete confirmation deletes through the service; the event keeps email and sub."""
    sub = str(user.sub)

    response = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    (event,) = events(AuditEvent.Kind.USER_CHANGED)
    assert event.actor == root
    assert event.data == {"fields": ["deleted"], "email": "alice@example.com", "sub": sub}


def test_deleting_a_user_signs_them_out_of_the_shops(
    admin_client, user, alice_at_shop, backchannel, django_capture_on_commit_callbacks
):
    """The logout tokens are signed before the sessions' rows go, and sent after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302

    assert not User.objects.filter(pk=user.pk).exists()
    assert backchannel() == [BACKCHANNEL_URI]
