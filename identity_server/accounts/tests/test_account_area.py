"""The account area: menu, applications, sessions, security events, concurrent profile edits."""

import io

import pytest
from conftest import PASSWORD
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.devices import device_describe
from accounts.services import user_profile_update
from audit.models import AuditEvent
from events.tests.outbox import no_http
from oidc.models import IdPSession
from oidc.tests.flow import code_get, pkce_make, token_exchange

pytestmark = pytest.mark.django_db

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56"
)


def sign_in(user, user_agent: str = CHROME_LINUX, address: str = "198.51.100.7") -> Client:
    """Return a new browser signed in as ``user`` through the form, with this header."""
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def sign_in_at_shop(browser: Client, shop) -> dict:
    """Let ``browser``'s IdP session sign in at a shop; return the shop's tokens."""
    application, secret = shop
    callback = application.redirect_uris.split()[0]
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, redirect_uri=callback)
    return token_exchange(
        browser, application.client_id, secret, code, pkce.verifier, redirect_uri=callback
    ).json()


@pytest.fixture
def backchannel():
    """The logout URIs the outbox holds (a function); the request itself POSTs nothing."""
    with no_http() as queued:
        yield queued


def logout_uris(queued) -> list[str]:
    return queued()


def png_bytes(colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# The area and its menu


@pytest.mark.parametrize(
    "path",
    [
        "/account/",
        "/account/profile/",
        "/account/applications/",
        "/account/sessions/",
        "/account/security-events/",
    ],
)
def test_every_account_page_requires_sign_in(client, path):
    """An anonymous visitor is sent to sign in, and back here afterwards."""
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/account/login/?next={path}")


def test_the_account_root_opens_the_profile(browser):
    """/account/ leads to the first page of the area."""
    response = browser.get("/account/")

    assert response.status_code == 302
    assert response["Location"] == "/account/profile/"


@pytest.mark.parametrize(
    "path", ["/account/profile/", "/account/applications/", "/account/sessions/"]
)
def test_account_pages_share_the_side_menu(browser, path):
    """Each page shows the menu, its own entry marked as the current page."""
    page = browser.get(path).content.decode()

    assert 'class="account-nav"' in page
    for link in ("/account/profile/", "/account/applications/", "/account/sessions/"):
        assert f'href="{link}"' in page
    assert "/account/security-events/" in page
    assert f'href="{path}" aria-current="page"' in page


def test_the_profile_page_no_longer_lists_applications(browser):
    """Allowed applications have their own page now."""
    page = browser.get("/account/profile/").content.decode()

    assert "Applications you allowed" not in page


def test_the_applications_page_says_when_nothing_was_allowed(browser):
    """No consent yet: a sentence, not an empty list."""
    page = browser.get("/account/applications/").content.decode()

    assert "Applications you allowed" in page
    assert "You have not allowed any application." in page


# Devices


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("python-requests/2.32.3", "python-requests"),
        ("", "Unknown device"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "Linux"),
    ],
)
def test_a_user_agent_is_summarised_as_browser_on_system(header, expected):
    """The sessions page names a device the way people say it."""
    assert device_describe(header) == expected


# Sessions page


def test_the_sessions_page_lists_only_the_users_own_open_sessions(make_user, shop_a):
    """Two browsers of Alice are listed with device, address and shops; Bob's is not."""
    alice = make_user()
    bob = make_user(email="bob@example.com", given_name="Bob")
    laptop = sign_in(alice, CHROME_LINUX, "198.51.100.7")
    sign_in_at_shop(laptop, shop_a)
    sign_in(alice, FIREFOX_WINDOWS, "198.51.100.8")
    sign_in(bob, SAFARI_IPHONE, "203.0.113.66")

    response = laptop.get("/account/sessions/")

    rows = response.context["sessions"]
    page = response.content.decode()
    assert [(row.device, row.ip, row.this_device) for row in rows] == [
        ("Chrome on Linux", "198.51.100.7", True),
        ("Firefox on Windows", "198.51.100.8", False),
    ]
    assert rows[0].shops == ["Shop A"]
    assert rows[1].shops == []
    assert "this device" in page
    assert "Shop A" in page
    assert "203.0.113.66" not in page
    assert "Safari on iPhone" not in page


def test_signing_out_another_session_ends_it_and_tells_its_shops(
    make_user, shop_a, backchannel, django_capture_on_commit_callbacks
):
    """The other browser is signed out, its shop tokens stop working, its shop is told."""
    alice = make_user()
    laptop = sign_in(alice, CHROME_LINUX)
    phone = sign_in(alice, SAFARI_IPHONE)
    tokens = sign_in_at_shop(phone, shop_a)
    phone_session = IdPSession.objects.get(user=alice, user_agent=SAFARI_IPHONE)

    with django_capture_on_commit_callbacks(execute=True):
        response = laptop.post(f"/account/sessions/{phone_session.pk}/end/", follow=True)

    phone_session.refresh_from_db()
    assert response.redirect_chain == [("/account/sessions/", 302)]
    assert "That session is signed out" in response.content.decode()
    assert phone_session.ended_at is not None
    assert not Session.objects.filter(session_key=phone_session.session_key).exists()
    assert phone.get("/account/profile/").status_code == 302, "the phone must sign in again"
    assert laptop.get("/account/profile/").status_code == 200, "the laptop stays signed in"
    assert logout_uris(backchannel) == ["http://localhost:8001/oidc/backchannel-logout/"]
    userinfo = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 401
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_ENDED)
    assert (event.actor, event.subject_user) == (alice, alice)
    assert event.data == {"sid": phone_session.sid}


def test_ending_another_users_session_is_not_found_and_changes_nothing(make_user, backchannel):
    """A session id of someone else's session is a 404; that session stays open."""
    alice = make_user()
    bob = make_user(email="bob@example.com", given_name="Bob")
    laptop = sign_in(alice)
    bobs_browser = sign_in(bob)
    bobs_session = IdPSession.objects.get(user=bob)

    response = laptop.post(f"/account/sessions/{bobs_session.pk}/end/")

    bobs_session.refresh_from_db()
    assert response.status_code == 404
    assert bobs_session.ended_at is None
    assert bobs_browser.get("/account/profile/").status_code == 200
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SESSION_ENDED).exists()


def test_ending_an_unknown_session_id_is_not_found(browser):
    """An id that names no session at all: 404, no 500."""
    assert browser.post("/account/sessions/999999/end/").status_code == 404


def test_signing_out_this_devices_session_signs_this_browser_out(browser, user):
    """ "Sign out" on the row marked "this device" is a sign-out here."""
    session = IdPSession.objects.get(user=user)

    response = browser.post(f"/account/sessions/{session.pk}/end/", follow=True)

    session.refresh_from_db()
    assert session.ended_at is not None
    assert response.redirect_chain[0] == ("/account/login/", 302)
    assert "You are signed out." in response.content.decode()
    assert "_auth_user_id" not in browser.session


def test_sign_out_everywhere_else_keeps_only_this_browser(
    make_user, shop_a, shop_b, backchannel, django_capture_on_commit_callbacks
):
    """Every other session ends and tells its shops; this one stays signed in."""
    alice = make_user()
    laptop = sign_in(alice, CHROME_LINUX)
    sign_in_at_shop(laptop, shop_a)
    phone = sign_in(alice, SAFARI_IPHONE)
    sign_in_at_shop(phone, shop_b)
    tablet = sign_in(alice, FIREFOX_WINDOWS)

    with django_capture_on_commit_callbacks(execute=True):
        response = laptop.post("/account/sessions/end-others/", follow=True)

    assert "Signed out everywhere else (2 sessions)." in response.content.decode()
    open_sessions = IdPSession.objects.filter(user=alice, ended_at__isnull=True)
    assert list(open_sessions.values_list("user_agent", flat=True)) == [CHROME_LINUX]
    assert laptop.get("/account/profile/").status_code == 200
    assert phone.get("/account/profile/").status_code == 302
    assert tablet.get("/account/profile/").status_code == 302
    assert logout_uris(backchannel) == ["http://localhost:8002/oidc/backchannel-logout/"]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SESSIONS_ENDED)
    assert event.data == {"count": 2}


def test_sign_out_everywhere_ends_every_session_and_this_browser(
    make_user, shop_a, shop_b, backchannel, django_capture_on_commit_callbacks
):
    """Every session ends, this browser's too; every shop of every session is told."""
    alice = make_user()
    laptop = sign_in(alice, CHROME_LINUX)
    sign_in_at_shop(laptop, shop_a)
    phone = sign_in(alice, SAFARI_IPHONE)
    sign_in_at_shop(phone, shop_b)

    with django_capture_on_commit_callbacks(execute=True):
        response = laptop.post("/account/sessions/end-all/", follow=True)

    assert response.redirect_chain[0] == ("/account/login/", 302)
    assert "You are signed out everywhere." in response.content.decode()
    assert not IdPSession.objects.filter(user=alice, ended_at__isnull=True).exists()
    assert laptop.get("/account/profile/").status_code == 302
    assert phone.get("/account/profile/").status_code == 302
    assert logout_uris(backchannel) == [
        "http://localhost:8001/oidc/backchannel-logout/",
        "http://localhost:8002/oidc/backchannel-logout/",
    ]
    kinds = set(AuditEvent.objects.filter(subject_user=alice).values_list("kind", flat=True))
    assert {AuditEvent.Kind.SESSIONS_ENDED, AuditEvent.Kind.SIGN_OUT} <= kinds


@pytest.mark.parametrize("path", ["/account/sessions/end-others/", "/account/sessions/end-all/"])
def test_signing_out_sessions_needs_a_post(browser, user, path):
    """A link (GET) cannot sign anyone out."""
    response = browser.get(path)

    assert response.status_code == 405
    assert IdPSession.objects.get(user=user).ended_at is None


def test_signing_out_sessions_needs_the_csrf_token(user):
    """A cross-site form post is refused and nothing ends."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.post("/account/sessions/end-all/")

    assert response.status_code == 403
    assert IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()


# Security events


def test_security_events_show_only_the_users_own_events(make_user):
    """Alice sees her sign-in with its device; Bob's events are not on her page."""
    alice = make_user()
    bob = make_user(email="bob@example.com", given_name="Bob")
    laptop = sign_in(alice, CHROME_LINUX, "198.51.100.7")
    sign_in(bob, SAFARI_IPHONE, "203.0.113.66")
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.PASSWORD_CHANGED, subject_user=bob, ip="203.0.113.67"
    )

    response = laptop.get("/account/security-events/")

    page = response.content.decode()
    events = response.context["events"]
    assert [(e.label, e.ip, e.device) for e in events] == [
        ("Signed in", "198.51.100.7", "Chrome on Linux")
    ]
    assert "203.0.113.66" not in page
    assert "203.0.113.67" not in page
    assert "Password changed" not in page


def test_security_events_show_the_latest_fifty(user, browser):
    """A long history shows its latest 50 events, newest first."""
    AuditEvent.objects.bulk_create(
        AuditEvent(kind=AuditEvent.Kind.SIGN_IN_FAILED, subject_user=user) for _ in range(60)
    )
    AuditEvent.objects.create(kind=AuditEvent.Kind.PASSWORD_CHANGED, subject_user=user)

    events = browser.get("/account/security-events/").context["events"]

    assert len(events) == 50
    assert events[0].label == "Password changed"


def test_security_events_never_show_event_data(make_user):
    """The data of an event (a typed username, a sid) is not shown."""
    alice = make_user()
    laptop = sign_in(alice)
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.SIGN_IN_FAILED, subject_user=alice, data={"username": "x-typed-x"}
    )

    page = laptop.get("/account/security-events/").content.decode()

    assert "Sign-in failed" in page
    assert "x-typed-x" not in page
    assert IdPSession.objects.get(user=alice).sid not in page


# Concurrent profile edits


def open_profile(browser: Client) -> dict[str, str]:
    """Load the profile form and return the values it would post."""
    form = browser.get("/account/profile/").context["form"]
    return {name: form[name].value() or "" for name in form.fields if name != "avatar"}


def test_two_tabs_editing_different_fields_both_survive(browser, user):
    """Each tab writes only what it changed: neither overwrites the other's field."""
    tab_1 = open_profile(browser)
    tab_2 = open_profile(browser)

    first = browser.post("/account/profile/", {**tab_1, "given_name": "Alicia"})
    second = browser.post("/account/profile/", {**tab_2, "family_name": "Hargreaves"})

    user.refresh_from_db()
    assert (first.status_code, second.status_code) == (302, 302)
    assert (user.given_name, user.family_name) == ("Alicia", "Hargreaves")
    changes = AuditEvent.objects.filter(kind=AuditEvent.Kind.PROFILE_CHANGED).order_by("id")
    assert [event.data["fields"] for event in changes] == [["given_name"], ["family_name"]]


def test_the_same_field_changed_in_another_tab_is_refused_for_review(browser, user):
    """The stale tab is refused with a clear message; the other tab's value stays."""
    tab_1 = open_profile(browser)
    tab_2 = open_profile(browser)
    browser.post("/account/profile/", {**tab_1, "given_name": "Alicia"})

    refused = browser.post("/account/profile/", {**tab_2, "given_name": "Ally", "nickname": "al"})

    user.refresh_from_db()
    page = refused.content.decode()
    assert refused.status_code == 409
    assert "changed in another window since you opened this page" in page
    assert "Now “Alicia”, changed in another window." in page
    assert (user.given_name, user.nickname) == ("Alicia", "")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PROFILE_CHANGED).count() == 1
    form = refused.context["form"]
    assert (form["given_name"].value(), form["nickname"].value()) == ("Ally", "al")


def test_saving_the_reviewed_form_again_replaces_the_value_knowingly(browser, user):
    """After the refusal, the form shown is up to date: saving it writes the user's choice."""
    tab_1 = open_profile(browser)
    tab_2 = open_profile(browser)
    browser.post("/account/profile/", {**tab_1, "given_name": "Alicia", "family_name": "L."})
    refused = browser.post("/account/profile/", {**tab_2, "given_name": "Ally"})
    form = refused.context["form"]
    reviewed = {name: form[name].value() or "" for name in form.fields if name != "avatar"}

    saved = browser.post("/account/profile/", reviewed)

    user.refresh_from_db()
    assert reviewed["family_name"] == "L.", "the other tab's change is shown, not the stale one"
    assert saved.status_code == 302
    assert (user.given_name, user.family_name) == ("Ally", "L.")


def test_two_tabs_setting_the_same_value_is_no_conflict(browser, user):
    """Both tabs want the same thing: the second save is simply a no-op."""
    tab_1 = open_profile(browser)
    tab_2 = open_profile(browser)
    browser.post("/account/profile/", {**tab_1, "locale": "fr"})

    second = browser.post("/account/profile/", {**tab_2, "locale": "fr"})

    user.refresh_from_db()
    assert second.status_code == 302
    assert user.locale == "fr"


def test_a_picture_changed_in_another_tab_is_not_replaced_unseen(browser, user):
    """Uploading over a picture another tab just set is refused; a name edit keeps it."""
    tab_1 = open_profile(browser)
    tab_2 = open_profile(browser)
    tab_3 = open_profile(browser)
    browser.post(
        "/account/profile/",
        {**tab_1, "avatar": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
    )
    user.refresh_from_db()
    first_picture = user.avatar.name

    refused = browser.post(
        "/account/profile/",
        {
            **tab_2,
            "avatar": SimpleUploadedFile("b.png", png_bytes((0, 0, 255)), "image/png"),
        },
    )
    renamed = browser.post("/account/profile/", {**tab_3, "nickname": "al"})

    user.refresh_from_db()
    assert refused.status_code == 409
    assert "Your picture was changed in another window" in refused.content.decode()
    assert renamed.status_code == 302
    assert (user.avatar.name, user.nickname) == (first_picture, "al")


def test_removing_a_picture_another_tab_just_set_is_refused(browser, user):
    """ "Clear" on a stale page does not delete a picture the user has not seen."""
    tab_1 = open_profile(browser)
    tab_2 = open_profile(browser)
    browser.post(
        "/account/profile/",
        {**tab_1, "avatar": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
    )

    refused = browser.post("/account/profile/", {**tab_2, "avatar-clear": "on"})

    user.refresh_from_db()
    assert refused.status_code == 409
    assert user.avatar


def test_a_forged_snapshot_counts_as_loaded_now(browser, user):
    """A snapshot that is not ours is ignored (no 500): the form counts as loaded just now."""
    tab = open_profile(browser)

    response = browser.post(
        "/account/profile/", {**tab, "loaded": "forged:value", "given_name": "Alicia"}
    )

    user.refresh_from_db()
    assert response.status_code == 302
    assert user.given_name == "Alicia"


def test_the_service_refuses_a_stale_write_and_writes_nothing(user):
    """user_profile_update with a snapshot older than the row: ProfileEditConflict, no change."""
    from accounts.services import ProfileEditConflict
    from accounts.services.profile import profile_snapshot

    loaded = profile_snapshot(user=user)
    user_profile_update(user=user, data={"given_name": "Alicia"}, loaded=loaded)

    with pytest.raises(ProfileEditConflict) as refused:
        user_profile_update(user=user, data={"given_name": "Ally", "nickname": "al"}, loaded=loaded)

    user.refresh_from_db()
    assert refused.value.fields == ["given_name"]
    assert refused.value.current["given_name"] == "Alicia"
    assert (user.given_name, user.nickname) == ("Alicia", "")
