"""Registration, email verification and email change: flows and the attacks on them."""

import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client

from accounts.services import emails as email_services
from audit.models import AuditEvent
from oidc.selectors import user_claims

User = get_user_model()
pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"
IDP = "http://localhost:8000"
REGISTRATION = {
    "email": "Ada@Example.com",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "password1": "analytical-engine-1843",
    "password2": "analytical-engine-1843",
}
LINK = re.compile(r"https?://\S+")
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Mail limits live in the cache, which outlives a test in local memory."""
    cache.clear()


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a request's after-commit work (the mails) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def page_text(response, address: str) -> str:
    """Return a page with its CSRF token and ``address`` blanked, to compare two answers."""
    return CSRF_VALUE.sub("csrf", response.content.decode()).replace(address, "X")


def link_in(message, fragment: str) -> str:
    """Return the first link of a mail's body that contains ``fragment``."""
    links = [link for link in LINK.findall(message.body) if fragment in link]
    assert links, f"no link with {fragment!r} in:\n{message.body}"
    return links[0]


def path_of(link: str) -> str:
    assert link.startswith(IDP + "/"), link
    return link[len(IDP) :]


def register(client: Client, sent, **fields):
    with sent():
        return client.post("/account/register/", {**REGISTRATION, **fields})


def verification_link(mailoutbox, address: str = "ada@example.com") -> str:
    [message] = [m for m in mailoutbox if m.to == [address]]
    return link_in(message, "/account/verify-email/")


# Registration


def test_register_creates_an_unverified_account_mails_a_link_and_does_not_sign_in(
    client, sent, mailoutbox
):
    """A new address: the account exists, unverified; the browser is sent to check its mail."""
    response = register(client, sent)

    user = User.objects.get(email="ada@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/account/register/check-email/"
    assert user.email_verified is False
    assert user.check_password(REGISTRATION["password1"])
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    assert mailoutbox[0].subject == "Verify your email address for Identity"
    assert verification_link(mailoutbox).startswith(f"{IDP}/account/verify-email/")
    assert AuditEvent.objects.filter(kind="registered", subject_user=user).count() == 1


def test_register_an_existing_address_answers_exactly_like_a_new_one(
    client, sent, mailoutbox, user
):
    """Same status, redirect and page for a taken address (any case) as for a free one."""
    new = Client()
    new_response = register(new, sent, email="bob@example.com")
    taken_response = register(client, sent, email="ALICE@example.com")

    assert taken_response.status_code == new_response.status_code == 302
    assert taken_response["Location"] == new_response["Location"]
    new_page = page_text(new.get(new_response["Location"]), "bob@example.com")
    taken_page = page_text(client.get(taken_response["Location"]), "alice@example.com")
    assert taken_page == new_page
    assert "Check your email" in taken_page


def test_register_an_existing_address_changes_nothing_and_tells_its_owner(
    client, sent, mailoutbox, user
):
    """The owner gets a mail with a reset link; the account and its password stay as they were."""
    register(client, sent, email="alice@example.com", given_name="Mallory")

    user.refresh_from_db()
    assert User.objects.count() == 1
    assert user.given_name == "Alice"
    assert user.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session
    [message] = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject.startswith("Someone tried to create an account with your address")
    assert link_in(message, "/account/password/reset/").startswith(f"{IDP}/account/password/")
    assert AuditEvent.objects.filter(
        kind="registration_existing", subject_user=user, actor=None
    ).exists()
    assert not AuditEvent.objects.filter(kind="registered").exists()


def test_register_hashes_the_password_for_a_new_and_an_existing_address(client, sent, user):
    """The hash is most of the cost: both answers pay it once, so their times match."""
    with mock.patch("accounts.services.registration.make_password", wraps=make_password) as hashed:
        register(client, sent, email="new@example.com")
        register(client, sent, email="alice@example.com")

    assert hashed.call_count == 2


def test_register_twice_sends_one_mail_per_interval_whether_new_or_taken(
    client, sent, mailoutbox, user
):
    """A second registration of an address within the interval mails no one, new or taken."""
    register(client, sent, email="new@example.com")
    register(client, sent, email="new@example.com")
    register(client, sent, email="alice@example.com")
    register(client, sent, email="alice@example.com")

    assert [m.to for m in mailoutbox] == [["new@example.com"], ["alice@example.com"]]


def test_register_refuses_different_passwords_and_creates_nothing(client, sent, mailoutbox):
    """The form's errors still show; nothing is created or mailed."""
    response = register(client, sent, password2="other-one-1843")

    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.exists()
    assert mailoutbox == []


def test_register_refuses_a_weak_password(client, sent):
    """Django's validators run: a short password is refused."""
    response = register(client, sent, password1="short", password2="short")

    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.exists()


# Verification


def test_verification_link_shows_a_button_and_a_click_verifies(client, sent, mailoutbox):
    """GET only shows (mail scanners follow links); the POST verifies and is audited."""
    register(client, sent)
    path = path_of(verification_link(mailoutbox))

    page = client.get(path)
    user = User.objects.get(email="ada@example.com")
    assert page.status_code == 200
    assert "ada@example.com" in page.content.decode()
    assert user.email_verified is False

    done = client.post(path)

    user.refresh_from_db()
    assert done.status_code == 200
    assert "Email verified" in done.content.decode()
    assert user.email_verified is True
    assert user_claims(user=user, scopes=["openid", "email"])["email_verified"] is True
    assert AuditEvent.objects.filter(kind="email_verified", subject_user=user).count() == 1


def test_verification_then_sign_in_continues_to_the_authorization_request(client, sent, mailoutbox):
    """The ``next`` given at registration rides in the link to the sign-in after it."""
    with sent():
        client.post("/account/register/?next=/o/authorize/%3Fa%3D1", REGISTRATION)
    path = path_of(verification_link(mailoutbox))

    done = client.post(path).content.decode()

    assert 'href="/account/login/?next=%2Fo%2Fauthorize%2F%3Fa%3D1"' in done


def test_register_ignores_an_offsite_next(client, sent, mailoutbox):
    """An absolute next to another host is an open redirect: the link carries none."""
    with sent():
        client.post("/account/register/", {**REGISTRATION, "next": "https://evil.example.net/"})

    done = client.post(path_of(verification_link(mailoutbox))).content.decode()

    assert "evil.example.net" not in done
    assert 'href="/account/login/"' in done


def test_verification_link_used_twice_says_already_verified(client, sent, mailoutbox):
    """A second click is harmless: the address stays verified, one audit event."""
    register(client, sent)
    path = path_of(verification_link(mailoutbox))
    client.post(path)

    again = client.post(path)

    assert again.status_code == 200
    assert AuditEvent.objects.filter(kind="email_verified").count() == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_tampered_verification_link_is_refused_with_a_page(client, sent, mailoutbox, mangle):
    """A forged link gets a clear 400 page and verifies nothing."""
    register(client, sent)
    token = path_of(verification_link(mailoutbox)).split("/")[-2]

    for method in (client.get, client.post):
        response = method(f"/account/verify-email/{mangle(token)}/")
        assert response.status_code == 400
        assert "This link is no longer valid" in response.content.decode()
    assert User.objects.get(email="ada@example.com").email_verified is False


def test_expired_verification_link_is_refused(client, sent, mailoutbox, settings):
    """Past EMAIL_VERIFICATION_MAX_AGE the link no longer verifies."""
    register(client, sent)
    path = path_of(verification_link(mailoutbox))
    settings.EMAIL_VERIFICATION_MAX_AGE = -1

    response = client.post(path)

    assert response.status_code == 400
    assert User.objects.get(email="ada@example.com").email_verified is False


def test_verification_link_of_a_previous_address_is_refused(make_user, client):
    """The link is bound to the address: once the account's address changed, it is dead."""
    user = make_user(email="old@example.com")
    token = email_services.email_verification_token_make(user=user)
    user.email = "new@example.com"
    user.save()

    response = client.post(f"/account/verify-email/{token}/")

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_verified is False


def test_verification_link_of_another_user_cannot_be_made_by_changing_the_id(make_user, client):
    """The signature covers the user id: changing it breaks the link."""
    make_user(email="victim@example.com")
    attacker = make_user(email="attacker@example.com")
    token = email_services.email_verification_token_make(user=attacker)
    payload, rest = token.split(":", 1)

    response = client.post(f"/account/verify-email/{payload[:-1]}Z:{rest}/")

    assert response.status_code == 400
    assert not User.objects.filter(email_verified=True).exists()


def test_resend_mails_a_new_link_to_an_unverified_account_once_a_minute(client, sent, mailoutbox):
    """The check-email page's form sends the link again, at most once per interval."""
    register(client, sent)

    with sent():
        first = client.post("/account/verify-email/resend/", {"email": "ada@example.com"})
    with sent():
        client.post("/account/verify-email/resend/", {"email": "ada@example.com"})

    assert first["Location"] == "/account/register/check-email/"
    assert [m.subject for m in mailoutbox] == ["Verify your email address for Identity"] * 2


def test_resend_answers_the_same_for_unknown_and_verified_addresses(
    client, sent, mailoutbox, user, make_user
):
    """No mail to an unknown or verified address, and the same answer as for a real one."""
    make_user(email="waiting@example.com")
    answers = []
    for address in ("nobody@example.com", user.email, "waiting@example.com"):
        visitor = Client()
        with sent():
            response = visitor.post(
                "/account/verify-email/resend/", {"email": address}, follow=True
            )
        answers.append(page_text(response, address))

    assert answers[0] == answers[1] == answers[2]
    assert [m.to for m in mailoutbox] == [["waiting@example.com"]]


def test_signed_in_unverified_user_resends_from_the_email_page(make_user, sent, mailoutbox):
    """The email page offers the link again to a user whose address is not verified."""
    user = make_user(email="unverified@example.com")
    browser = Client()
    browser.force_login(user)
    page = browser.get("/account/email/").content.decode()
    assert "not verified" in page
    assert 'action="/account/verify-email/resend/"' in page

    with sent():
        response = browser.post("/account/verify-email/resend/")

    assert response["Location"] == "/account/email/"
    assert [m.to for m in mailoutbox] == [["unverified@example.com"]]


# Email change


def change_email(browser, sent, new_email: str, password: str = PASSWORD):
    with sent():
        return browser.post(
            "/account/email/", {"new_email": new_email, "current_password": password}
        )


def test_email_page_needs_a_signed_in_user(client):
    """Anonymous visitors are sent to sign in."""
    response = client.get("/account/email/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/account/email/")


def test_email_page_shows_the_address_in_the_account_area(browser, user):
    """The page lives in the account area and shows the verified address."""
    html = browser.get("/account/email/").content.decode()

    assert "alice@example.com" in html and "verified" in html
    assert 'name="new_email"' in html and 'name="current_password"' in html
    assert 'class="account-nav"' in html


def test_email_change_mails_both_addresses_and_changes_nothing_yet(browser, sent, mailoutbox, user):
    """The new address gets a link, the current one a notice; the account keeps its address."""
    response = change_email(browser, sent, "Alice.New@Example.com")

    user.refresh_from_db()
    assert response["Location"] == "/account/email/"
    assert user.email == "alice@example.com"
    by_address = {m.to[0]: m for m in mailoutbox}
    assert set(by_address) == {"alice.new@example.com", "alice@example.com"}
    assert "/account/email/confirm/" in by_address["alice.new@example.com"].body
    assert "alice.new@example.com" in by_address["alice@example.com"].body
    assert "/account/email/confirm/" not in by_address["alice@example.com"].body
    assert AuditEvent.objects.filter(
        kind="email_change_requested", subject_user=user, data__new_email="alice.new@example.com"
    ).exists()


def test_email_change_link_changes_the_address_once(browser, sent, mailoutbox, user):
    """Following the link changes and verifies the address and tells the old one; a reuse fails."""
    user.email_verified = False
    user.save()
    change_email(browser, sent, "alice.new@example.com")
    path = path_of(link_in(mailoutbox[0], "/account/email/confirm/"))
    mailoutbox.clear()

    shown = browser.get(path)
    assert shown.status_code == 200
    user.refresh_from_db()
    assert user.email == "alice@example.com"
    with sent():
        done = browser.post(path)

    user.refresh_from_db()
    assert done.status_code == 200
    assert user.email == "alice.new@example.com"
    assert user.email_verified is True
    assert user_claims(user=user, scopes=["email"]) == {
        "sub": str(user.sub),
        "email": "alice.new@example.com",
        "email_verified": True,
    }
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "alice.new@example.com" in mailoutbox[0].body
    assert AuditEvent.objects.filter(kind="email_changed", subject_user=user).count() == 1
    again = browser.post(path)
    assert again.status_code == 400
    assert "This link is no longer valid" in again.content.decode()
    assert AuditEvent.objects.filter(kind="email_changed").count() == 1


def test_email_change_link_works_in_another_browser(browser, sent, mailoutbox, user):
    """The link proves the new address by itself: it works where the user is not signed in."""
    change_email(browser, sent, "alice.new@example.com")
    path = path_of(link_in(mailoutbox[0], "/account/email/confirm/"))

    response = Client().post(path)

    user.refresh_from_db()
    assert response.status_code == 200
    assert user.email == "alice.new@example.com"


def test_email_change_refuses_a_wrong_password_and_counts_it(browser, sent, mailoutbox, user):
    """A wrong current password is a failed password check: refused, audited, no mail."""
    response = change_email(browser, sent, "alice.new@example.com", password="wrong-password")

    assert response.status_code == 200
    assert "That is not your current password." in response.content.decode()
    assert mailoutbox == []
    assert AuditEvent.objects.filter(kind="sign_in_failed", subject_user=user).count() == 1
    assert not AuditEvent.objects.filter(kind="email_change_requested").exists()


def test_email_change_to_the_current_address_is_refused(browser, sent, mailoutbox):
    """Asking for the address one already has is a form error."""
    response = change_email(browser, sent, "ALICE@example.com")

    assert "That is already your email address." in response.content.decode()
    assert mailoutbox == []


def test_email_change_to_a_taken_address_answers_the_same_but_mails_no_link(
    browser, sent, mailoutbox, user, make_user
):
    """No enumeration: same answer and notice as for a free address; the taken one gets nothing."""
    make_user(email="bob@example.com")

    response = browser.get(change_email(browser, sent, "bob@example.com")["Location"])

    assert "We sent a link to bob@example.com." in response.content.decode()
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_email_change_refused_at_confirmation_when_the_address_got_taken(
    browser, sent, mailoutbox, user, make_user
):
    """Someone registered the new address meanwhile: a clear page, nothing changes."""
    change_email(browser, sent, "alice.new@example.com")
    path = path_of(link_in(mailoutbox[0], "/account/email/confirm/"))
    make_user(email="alice.new@example.com")

    response = browser.post(path)

    user.refresh_from_db()
    assert response.status_code == 409
    assert "This address is in use" in response.content.decode()
    assert user.email == "alice@example.com"
    assert not AuditEvent.objects.filter(kind="email_changed").exists()


def test_an_older_email_change_link_dies_when_another_one_is_used(
    browser, sent, mailoutbox, user, settings
):
    """Two requests, two links: using one changes the address, which kills the other."""
    settings.ACCOUNT_MAIL_INTERVAL_SECONDS = 0
    change_email(browser, sent, "first@example.com")
    change_email(browser, sent, "second@example.com")
    first, second = (
        path_of(link_in(m, "/account/email/confirm/"))
        for m in mailoutbox
        if "/account/email/confirm/" in m.body
    )

    assert browser.post(second).status_code == 200
    assert browser.post(first).status_code == 400
    user.refresh_from_db()
    assert user.email == "second@example.com"


def test_email_change_requests_are_limited_per_user(browser, sent, mailoutbox):
    """A second request within the interval sends nothing and says to wait."""
    change_email(browser, sent, "first@example.com")
    response = browser.get(change_email(browser, sent, "second@example.com")["Location"])

    assert "Wait a minute" in response.content.decode()
    assert {m.to[0] for m in mailoutbox} == {"first@example.com", "alice@example.com"}


def test_tampered_email_change_link_is_refused(browser, sent, mailoutbox, user):
    """A change link cannot be edited to another address: the signature covers it."""
    change_email(browser, sent, "alice.new@example.com")
    token = path_of(link_in(mailoutbox[0], "/account/email/confirm/")).split("/")[-2]
    forged = email_services.signing.dumps(
        {"u": user.pk, "old": user.email, "new": "mallory@example.com"}, salt="other-salt"
    )

    for candidate in (forged, token[:-3] + "abc", "garbage"):
        response = browser.post(f"/account/email/confirm/{candidate}/")
        assert response.status_code == 400
    user.refresh_from_db()
    assert user.email == "alice@example.com"


# Attacks on every form: CSRF, and links built from the Host header


@pytest.mark.parametrize(
    "path",
    [
        "/account/register/",
        "/account/verify-email/resend/",
        "/account/verify-email/any-token/",
        "/account/email/",
        "/account/email/confirm/any-token/",
    ],
)
def test_posts_without_a_csrf_token_are_refused(path, user, sent, mailoutbox):
    """Every form of these flows is CSRF-protected."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    with sent():
        response = browser.post(
            path, {**REGISTRATION, "email": "x@example.com", "new_email": "x@example.com"}
        )

    assert response.status_code == 403
    assert mailoutbox == []


def test_links_in_mails_come_from_idp_url_not_the_host_header(
    settings, client, sent, mailoutbox, user
):
    """Host header poisoning: a forged Host never ends up in a mailed link."""
    settings.ALLOWED_HOSTS = ["*"]
    with sent():
        client.post("/account/register/", REGISTRATION, HTTP_HOST="evil.example")
        client.post(
            "/account/register/", {**REGISTRATION, "email": user.email}, HTTP_HOST="evil.example"
        )
        client.post(
            "/account/verify-email/resend/",
            {"email": "ada@example.com"},
            HTTP_HOST="evil.example",
        )

    links = [link for message in mailoutbox for link in LINK.findall(message.body)]
    assert len(mailoutbox) == 3 and links
    assert all(link.startswith(f"{IDP}/") for link in links)
    assert not any("evil.example" in message.body for message in mailoutbox)
