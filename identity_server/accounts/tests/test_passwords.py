"""Password change and reset: flows and the attacks on them."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.services.passwords import user_password_set
from audit.models import AuditEvent
from oidc.models import IdPSession

User = get_user_model()
pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD = "a-brand-new-passphrase-2024"
IDP = "http://localhost:8000"
LINK = re.compile(r"https?://\S+")
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Mail limits and the sign-in throttle live in the cache, which outlives a test."""
    cache.clear()


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a request's after-commit work (mails, back-channel logout) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def signed_in(user, password: str = PASSWORD) -> Client:
    """Return another browser signed in as ``user`` through the sign-in form."""
    browser = Client()
    response = browser.post("/account/login/", {"username": user.email, "password": password})
    assert response.status_code == 302
    return browser


def is_signed_in(browser: Client) -> bool:
    return browser.get("/account/profile/").status_code == 200


def reset_path(mailoutbox, address: str = "alice@example.com") -> str:
    """Return the path of the reset link in the last mail to ``address``."""
    message = [m for m in mailoutbox if m.to == [address]][-1]
    links = [link for link in LINK.findall(message.body) if "/account/password/reset/" in link]
    assert links, message.body
    assert links[0].startswith(f"{IDP}/")
    return links[0][len(IDP) :]


def request_reset(client: Client, sent, email: str = "alice@example.com", **extra):
    with sent():
        return client.post("/account/password/reset/", {"email": email}, **extra)


def set_new_password(client: Client, sent, path: str, password: str = NEW_PASSWORD):
    """Follow a reset link and choose a password; return the last response."""
    opened = client.get(path)
    if opened.status_code != 302:
        return opened
    with sent():
        return client.post(
            opened["Location"], {"new_password1": password, "new_password2": password}
        )


# Password change


def change_password(browser, sent, current: str = PASSWORD, new: str = NEW_PASSWORD, again=None):
    with sent():
        return browser.post(
            "/account/password/",
            {"current_password": current, "new_password1": new, "new_password2": again or new},
        )


def test_password_page_needs_a_signed_in_user(client):
    """Anonymous visitors are sent to sign in."""
    response = client.get("/account/password/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/account/password/")


def test_password_page_is_in_the_account_area(browser):
    """The page has the three fields and the account menu."""
    html = browser.get("/account/password/").content.decode()

    assert 'name="current_password"' in html
    assert 'name="new_password1"' in html and 'name="new_password2"' in html
    assert 'class="account-nav"' in html


def test_password_change_keeps_this_browser_and_ends_the_others(browser, sent, mailoutbox, user):
    """This browser stays signed in; the user's other sessions end; the address is told."""
    other = signed_in(user)

    response = change_password(browser, sent)

    user.refresh_from_db()
    assert response["Location"] == "/account/password/"
    assert (
        "Password changed. 1 other session signed out."
        in browser.get("/account/password/").content.decode()
    )
    assert user.check_password(NEW_PASSWORD)
    assert is_signed_in(browser)
    assert not is_signed_in(other)
    assert IdPSession.objects.filter(user=user, ended_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(kind="password_changed", subject_user=user)
    assert event.data == {"sessions_ended": 1}
    assert [m.subject for m in mailoutbox] == ["Your password at Identity was changed"]


def test_password_change_refuses_a_wrong_current_password_and_counts_it(
    browser, sent, mailoutbox, user
):
    """A wrong current password is a failed password check: refused and audited."""
    response = change_password(browser, sent, current="not-my-password")

    user.refresh_from_db()
    assert response.status_code == 200
    assert "That is not your current password." in response.content.decode()
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(kind="sign_in_failed", subject_user=user).count() == 1
    assert not AuditEvent.objects.filter(kind="password_changed").exists()
    assert mailoutbox == []


def test_password_change_is_throttled_like_a_sign_in(browser, sent, user, settings):
    """Once the throttle holds the account, even the right current password is refused (429)."""
    settings.SIGN_IN_FREE_FAILURES = 1
    for _ in range(2):
        change_password(browser, sent, current="not-my-password")

    response = change_password(browser, sent)

    user.refresh_from_db()
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "again", "error"),
    [
        ("a-brand-new-passphrase-2024", "another-passphrase-2024", "The two passwords differ."),
        ("short-pass", None, "at least 12 characters"),
        ("password1234", None, "This password is too common."),
        ("x" * 4097, None, "at most 4096 characters"),
    ],
    ids=["differ", "short", "common", "too-long"],
)
def test_password_change_runs_the_validators(browser, sent, user, new, again, error):
    """The new password must match and pass Django's validators."""
    response = change_password(browser, sent, new=new, again=again)

    user.refresh_from_db()
    assert response.status_code == 200
    assert error in response.content.decode()
    assert user.check_password(PASSWORD)


def test_password_change_refuses_the_users_own_name(browser, sent, user):
    """Context words (the user's name and email) are refused."""
    response = change_password(browser, sent, new="alice-liddell-alice")

    assert response.status_code == 200
    assert "too similar" in response.content.decode()


# Password reset


def test_reset_request_mails_a_link_and_records_it(client, sent, mailoutbox, user):
    """An existing account: a mail with a link built from IDP_URL, and an audit event."""
    response = request_reset(client, sent, email="ALICE@example.com")

    assert response["Location"] == "/account/password/reset/sent/"
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    assert reset_path(mailoutbox).startswith(f"/account/password/reset/{uidb64}/")
    assert mailoutbox[0].subject == "Reset your password at Identity"
    assert AuditEvent.objects.filter(kind="password_reset_requested", subject_user=user).exists()


def test_reset_request_answers_the_same_whether_or_not_the_account_exists(sent, mailoutbox, user):
    """Same redirect and page for an unknown address; it gets a mail without a link."""
    answers = []
    for address in ("alice@example.com", "nobody@example.com"):
        visitor = Client()
        response = request_reset(visitor, sent, email=address)
        page = visitor.get(response["Location"])
        answers.append(
            (response.status_code, response["Location"], CSRF_VALUE.sub("", page.content.decode()))
        )

    assert answers[0] == answers[1]
    assert "If an account exists for that address" in answers[0][2]
    [unknown] = [m for m in mailoutbox if m.to == ["nobody@example.com"]]
    assert "/account/password/reset/" not in unknown.body
    assert "no active account" in unknown.body
    event = AuditEvent.objects.get(kind="password_reset_requested", subject_user=None)
    assert event.data["email"] == "nobody@example.com"


def test_reset_request_for_an_inactive_account_sends_no_link(client, sent, mailoutbox, make_user):
    """A deactivated account is treated as no account."""
    make_user(email="gone@example.com", is_active=False)

    request_reset(client, sent, email="gone@example.com")

    [message] = mailoutbox
    assert "/account/password/reset/" not in message.body


def test_reset_request_sends_one_mail_per_interval(client, sent, mailoutbox, user):
    """Nobody can flood an inbox with reset mails; each try is still audited."""
    for _ in range(3):
        request_reset(client, sent)

    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(kind="password_reset_requested").count() == 3


def test_reset_sets_the_password_ends_every_session_and_verifies_the_email(
    client, sent, mailoutbox, make_user
):
    """The link sets a new password; every session of the user ends; the address is verified."""
    user = make_user(email="alice@example.com")
    assert user.email_verified is False
    elsewhere = [signed_in(user), signed_in(user)]
    request_reset(client, sent)

    opened = client.get(reset_path(mailoutbox))
    assert opened.status_code == 302
    assert opened["Location"].endswith("/set-password/")
    form = client.get(opened["Location"])
    assert form.status_code == 200 and "alice@example.com" in form.content.decode()
    with sent():
        done = client.post(
            opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )

    user.refresh_from_db()
    assert done["Location"] == "/account/password/reset/done/"
    assert "Sign in with your new password" in client.get(done["Location"]).content.decode()
    assert user.check_password(NEW_PASSWORD)
    assert user.email_verified is True
    assert not any(is_signed_in(browser) for browser in elsewhere)
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    event = AuditEvent.objects.get(kind="password_reset", subject_user=user)
    assert event.data == {"sessions_ended": 2}
    assert AuditEvent.objects.filter(kind="email_verified", subject_user=user).exists()
    assert mailoutbox[-1].subject == "Your password at Identity was changed"


def test_reset_link_works_once(client, sent, mailoutbox, user):
    """The second use of a link gets the "no longer valid" page, and changes nothing."""
    request_reset(client, sent)
    path = reset_path(mailoutbox)
    set_new_password(client, sent, path)

    again = set_new_password(Client(), sent, path, password="yet-another-passphrase-99")

    user.refresh_from_db()
    assert again.status_code == 400
    assert "This link is no longer valid" in again.content.decode()
    assert user.check_password(NEW_PASSWORD)


def test_reset_link_dies_at_any_password_change(client, sent, mailoutbox, user):
    """A password changed another way (here by an admin) kills an outstanding link."""
    request_reset(client, sent)
    path = reset_path(mailoutbox)
    user_password_set(user=user, password="changed-by-an-admin-2024")

    response = client.get(path)

    assert response.status_code == 400


def test_reset_link_expires(client, sent, mailoutbox, user, settings):
    """Past PASSWORD_RESET_TIMEOUT the link is refused."""
    request_reset(client, sent)
    settings.PASSWORD_RESET_TIMEOUT = -1

    response = client.get(reset_path(mailoutbox))

    assert response.status_code == 400


def test_reset_link_expired_between_opening_and_submitting(
    client, sent, mailoutbox, user, settings
):
    """The token is checked again when the new password is posted."""
    request_reset(client, sent)
    opened = client.get(reset_path(mailoutbox))
    settings.PASSWORD_RESET_TIMEOUT = -1

    with sent():
        response = client.post(
            opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )

    user.refresh_from_db()
    assert response.status_code == 400
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "path",
    [
        "/account/password/reset/{uid}/bad-token/",
        "/account/password/reset/{uid}/set-password/",
        "/account/password/reset/!!!/bad-token/",
        "/account/password/reset/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5/bad-token/",
        "/account/password/reset/_w/bad-token/",
    ],
    ids=["forged-token", "no-session-token", "bad-base64", "huge-id", "not-utf8"],
)
def test_forged_reset_links_get_a_clear_page(client, user, path):
    """Forged, incomplete or garbled links: a 400 page offering a new link, never a 500."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))

    response = client.get(path.format(uid=uid))

    assert response.status_code == 400
    assert "Ask for a new link" in response.content.decode()


def test_reset_token_of_one_user_does_not_work_for_another(client, user, make_user):
    """The token is bound to the user: swapping the id in the link breaks it."""
    bob = make_user(email="bob@example.com")
    token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(bob.pk))

    response = client.get(f"/account/password/reset/{uid}/{token}/")

    assert response.status_code == 400


def test_reset_form_runs_the_validators(client, sent, mailoutbox, user):
    """A weak new password is refused and the link still works afterwards."""
    request_reset(client, sent)
    opened = client.get(reset_path(mailoutbox))

    weak = client.post(opened["Location"], {"new_password1": "short", "new_password2": "short"})
    good = set_new_password(client, sent, reset_path(mailoutbox))

    assert weak.status_code == 200 and "at least 12 characters" in weak.content.decode()
    assert good["Location"] == "/account/password/reset/done/"


def test_reset_in_a_browser_signed_in_as_the_user_signs_it_out(browser, sent, mailoutbox, user):
    """Resetting from a signed-in browser works and signs it out too."""
    request_reset(browser, sent)

    done = set_new_password(browser, sent, reset_path(mailoutbox))

    assert done["Location"] == "/account/password/reset/done/"
    assert not is_signed_in(browser)
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()


def test_reset_link_comes_from_idp_url_not_the_host_header(
    settings, client, sent, mailoutbox, user
):
    """Host header poisoning: a forged Host never carries the token to another site."""
    settings.ALLOWED_HOSTS = ["*"]

    request_reset(client, sent, HTTP_HOST="evil.example")

    assert "evil.example" not in mailoutbox[0].body
    assert reset_path(mailoutbox)  # starts with IDP_URL


def test_sign_in_page_links_to_the_reset(client):
    """The sign-in page offers "Forgot your password?"."""
    html = client.get("/account/login/").content.decode()

    assert 'href="/account/password/reset/">Forgot your password?' in html


@pytest.mark.parametrize(
    "path",
    ["/account/password/", "/account/password/reset/", "/account/password/reset/MQ/set-password/"],
)
def test_posts_without_a_csrf_token_are_refused(path, user, sent, mailoutbox):
    """Every form of these flows is CSRF-protected."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    with sent():
        response = browser.post(
            path,
            {
                "email": user.email,
                "current_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

    user.refresh_from_db()
    assert response.status_code == 403
    assert user.check_password(PASSWORD)
    assert mailoutbox == []
