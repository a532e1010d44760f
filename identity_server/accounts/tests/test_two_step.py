"""Two-step sign-in: TOTP and recovery codes, the second step, re-authentication, admin gate."""

import base64
import time
from urllib.parse import urlencode

import pytest
from conftest import PASSWORD
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Passkey, RecoveryCode
from accounts.services import mfa, recovery_codes
from accounts.services.signin import PENDING_KEY, PENDING_MAX_AGE_SECONDS, sign_in_pending
from audit.models import AuditEvent
from oidc import constants
from oidc.models import IdPSession
from oidc.tests.flow import authorize_params, pkce_make

pytestmark = pytest.mark.django_db

TWO_FACTORS = ["otp", "pwd", "mfa"]


def create_totp_device(user) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator app that has not been used yet."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """Return the code the app shows now (or ``steps_ahead`` 30-second steps later)."""
    return f"{totp(device.bin_key, drift=steps_ahead):06d}"


def password_step(client: Client, user, next_url: str = "") -> object:
    """POST the sign-in form (email and password) and return the response."""
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/account/login/", data)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def kinds_of(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_user=user).order_by("pk").values_list("kind", flat=True)
    )


def make_sign_in_stale(client: Client) -> None:
    """Make the browser's sign-in older than RECENT_AUTH_SECONDS."""
    session = client.session
    session[constants.SESSION_AUTH_TIME_KEY] = time.time() - 3600
    session.save()


@pytest.fixture
def totp_user(user):
    """Alice, with an authenticator app."""
    create_totp_device(user)
    return user


# Enrolment


def test_enrolment_shows_a_local_svg_qr_code_and_the_secret_then_confirms_with_a_code(
    browser, user
):
    """The QR code is inline SVG drawn here; the first code confirms the app; codes show once."""
    page = browser.get("/account/two-step/authenticator/")

    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg role="img"' in html and "<path" in html
    svg = html.split("<svg", 1)[1].split("</svg>")[0]
    assert "<img" not in html and "src=" not in svg and "href" not in svg
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert page.context["secret"].replace(" ", "") == secret
    assert not mfa.user_has_second_factor(user)

    done = browser.post("/account/two-step/authenticator/", {"code": code_of(device)})

    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code in done.content.decode()
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not {code.replace("-", "") for code in codes} & set(stored)
    assert all(len(code_hash) == 64 for code_hash in stored)
    assert kinds_of(user)[-2:] == ["totp_added", "recovery_codes_created"]
    assert "no-store" in done["Cache-Control"]


@pytest.mark.parametrize(
    ("factor", "asks"),
    [
        ("none", False),
        ("unconfirmed app", False),
        ("used recovery code", False),
        ("another user's app", False),
        ("app", True),
        ("recovery code", True),
        ("passkey", True),
    ],
)
def test_which_factors_make_the_sign_in_ask_for_a_second_step(
    make_user, user, factor, asks, django_assert_num_queries
):
    """A confirmed app, an unused recovery code or a passkey each ask for it (one query)."""
    if factor == "unconfirmed app":
        TOTPDevice.objects.create(user=user, name="App", confirmed=False)
    elif factor == "used recovery code":
        RecoveryCode.objects.create(user=user, code_hash="x" * 64, used_at=timezone.now())
    elif factor == "another user's app":
        create_totp_device(make_user(email="bob@example.com"))
    elif factor == "app":
        create_totp_device(user)
    elif factor == "recovery code":
        RecoveryCode.objects.create(user=user, code_hash="x" * 64)
    elif factor == "passkey":
        Passkey.objects.create(user=user, name="Laptop", credential_id="abc", public_key=b"k")

    with django_assert_num_queries(1):
        found = mfa.user_has_second_factor(user)

    assert found is asks


def test_a_wrong_first_code_leaves_the_app_unconfirmed(browser, user):
    """A wrong code confirms nothing and the sign-in still asks for no second factor."""
    browser.get("/account/two-step/authenticator/")
    device = TOTPDevice.objects.get(user=user)

    response = browser.post("/account/two-step/authenticator/", {"code": "000000"})
    if response.status_code == 200:  # 000000 was the code: one chance in a million
        pytest.skip("000000 happened to be the code")

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert not mfa.user_has_second_factor(user)
    assert "totp_added" not in kinds_of(user)


def test_the_enrolment_code_cannot_sign_in_and_the_next_one_can(browser, user):
    """The code that confirmed the app is spent; the app's next code signs in."""
    browser.get("/account/two-step/authenticator/")
    device = TOTPDevice.objects.get(user=user)
    first = code_of(device)
    browser.post("/account/two-step/authenticator/", {"code": first})

    client = Client()
    password_step(client, user)
    replay = client.post("/account/login/verify/", {"code": first})
    assert replay.status_code == 400 and not signed_in(client)

    following = client.post("/account/login/verify/", {"code": code_of(device, steps_ahead=1)})
    assert following.status_code == 302 and signed_in(client)


# The second step


def test_a_user_without_a_second_factor_signs_in_with_the_password_alone(user):
    """Nothing changes for them: 302, signed in, amr pwd."""
    client = Client()

    response = password_step(client, user, "/account/sessions/")

    assert response.status_code == 302 and response["Location"] == "/account/sessions/"
    assert signed_in(client)
    assert client.session[constants.SESSION_AMR_KEY] == ["pwd"]


def test_the_password_of_a_user_with_totp_leads_to_the_second_step_keeping_next(totp_user):
    """The password starts a pending sign-in, nobody is signed in, ``next`` is unchanged."""
    client = Client()
    next_url = "/o/authorize/?" + urlencode(
        {"client_id": "abc", "scope": "openid email", "state": "x y&z", "reauth": "s:t"}
    )

    response = password_step(client, totp_user, next_url)

    assert response.status_code == 302
    assert response["Location"] == "/account/login/verify/?" + urlencode({"next": next_url})
    assert not signed_in(client)
    assert client.session[PENDING_KEY]["user_id"] == totp_user.pk
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["next"] == next_url

    done = client.post(
        "/account/login/verify/",
        {"code": code_of(TOTPDevice.objects.get(user=totp_user)), "next": next_url},
    )

    assert done.status_code == 302 and done["Location"] == next_url
    assert signed_in(client)
    assert PENDING_KEY not in client.session
    assert client.session[constants.SESSION_AMR_KEY] == TWO_FACTORS
    assert IdPSession.objects.get(user=totp_user).amr == TWO_FACTORS


def test_skipping_the_second_step_yields_no_session(totp_user, shop_a):
    """Attack: after the password, going straight to the pages or /o/authorize/ signs nobody in."""
    application, _ = shop_a
    client = Client()
    password_step(client, totp_user)

    profile = client.get("/account/profile/")
    authorize = client.get("/o/authorize/", authorize_params(application.client_id, pkce_make()))
    two_step = client.get("/account/two-step/")

    assert profile.status_code == 302 and profile["Location"].startswith("/account/login/")
    assert authorize.status_code == 302 and authorize["Location"].startswith("/account/login/")
    assert two_step.status_code == 302 and two_step["Location"].startswith("/account/login/")
    assert not signed_in(client)
    assert not IdPSession.objects.filter(user=totp_user).exists()


def test_a_totp_code_cannot_be_replayed(totp_user):
    """The code that signed one browser in is refused in another, in the same window."""
    device = TOTPDevice.objects.get(user=totp_user)
    code = code_of(device)
    first = Client()
    password_step(first, totp_user)
    assert first.post("/account/login/verify/", {"code": code}).status_code == 302

    second = Client()
    password_step(second, totp_user)
    replay = second.post("/account/login/verify/", {"code": code})

    assert replay.status_code == 400
    assert "not right, or was already used" in replay.content.decode()
    assert not signed_in(second)
    failed = AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED, subject_user=totp_user)
    assert [event.data for event in failed] == [{"factor": "otp"}]


def test_the_pending_sign_in_expires(totp_user):
    """After PENDING_MAX_AGE_SECONDS the right code no longer signs in, and is not spent."""
    client = Client()
    password_step(client, totp_user, "/account/sessions/")
    session = client.session
    session[PENDING_KEY]["started"] = time.time() - PENDING_MAX_AGE_SECONDS - 1
    session.save()
    device = TOTPDevice.objects.get(user=totp_user)

    response = client.post(
        "/account/login/verify/", {"code": code_of(device), "next": "/account/sessions/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=%2Faccount%2Fsessions%2F"
    assert not signed_in(client)
    device.refresh_from_db()
    assert device.last_t == -1


def test_the_second_step_without_a_password_first_sends_to_the_sign_in(totp_user):
    """No pending sign-in: the code page only says to sign in."""
    client = Client()

    response = client.post(
        "/account/login/verify/", {"code": code_of(TOTPDevice.objects.get(user=totp_user))}
    )

    assert response.status_code == 302 and response["Location"] == "/account/login/"
    assert not signed_in(client)


def test_wrong_codes_are_throttled_like_passwords(totp_user, settings):
    """Once locked, even the right code is refused with 429 and Retry-After, unchecked."""
    settings.SIGN_IN_LOCKOUT_FAILURES = 1
    device = TOTPDevice.objects.get(user=totp_user)
    client = Client()
    password_step(client, totp_user)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"

    first = client.post("/account/login/verify/", {"code": wrong})
    right = client.post("/account/login/verify/", {"code": code_of(device)})

    assert first.status_code == 400
    assert right.status_code == 429
    assert int(right["Retry-After"]) == settings.SIGN_IN_LOCKOUT_SECONDS
    assert "Too many wrong codes" in right.content.decode()
    assert not signed_in(client)
    device.refresh_from_db()
    assert device.last_t == -1, "the right code was not even checked"
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.SIGN_IN_LOCKED, subject_user=totp_user
    ).exists()
    throttled = AuditEvent.objects.filter(
        kind=AuditEvent.Kind.SIGN_IN_FAILED, subject_user=totp_user
    ).latest("pk")
    assert throttled.data == {
        "factor": "otp",
        "throttled": True,
        "retry_after": settings.SIGN_IN_LOCKOUT_SECONDS,
    }


def test_a_right_password_does_not_forget_wrong_codes(totp_user, settings):
    """Signing in again with the password starts no fresh count of code guesses."""
    settings.SIGN_IN_LOCKOUT_FAILURES = 1
    client = Client()
    password_step(client, totp_user)
    client.post("/account/login/verify/", {"code": "12345x"})

    password_step(client, totp_user)
    response = client.post(
        "/account/login/verify/", {"code": code_of(TOTPDevice.objects.get(user=totp_user))}
    )

    assert response.status_code == 429 and not signed_in(client)


def test_a_passkey_alone_makes_the_password_ask_for_a_second_step(user):
    """A user whose only second factor is a passkey is not signed in by the password."""
    Passkey.objects.create(user=user, name="Laptop", credential_id="abc", public_key=b"k")
    client = Client()

    response = password_step(client, user)

    assert response["Location"] == "/account/login/verify/"
    assert not signed_in(client)
    page = client.get("/account/login/verify/")
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()


# Recovery codes


def test_a_recovery_code_signs_in_once(totp_user, rf):
    """A recovery code completes the sign-in (amr otp, mfa) and is then spent."""
    codes = recovery_codes.recovery_codes_create(request=rf.get("/"), user=totp_user)
    client = Client()
    password_step(client, totp_user)

    response = client.post("/account/login/verify/", {"code": codes[3].upper()})

    assert response.status_code == 302 and signed_in(client)
    assert client.session[constants.SESSION_AMR_KEY] == TWO_FACTORS
    assert recovery_codes.recovery_codes_left(user=totp_user) == 9
    used = AuditEvent.objects.get(kind=AuditEvent.Kind.RECOVERY_CODE_USED)
    assert used.data == {"left": 9}

    again = Client()
    password_step(again, totp_user)
    replay = again.post("/account/login/verify/", {"code": codes[3]})
    assert replay.status_code == 400 and not signed_in(again)
    assert recovery_codes.recovery_codes_left(user=totp_user) == 9


def test_new_recovery_codes_replace_all_the_old_ones(browser, totp_user):
    """Making new codes shows ten new ones once; none of the old ones works any more."""
    old = recovery_codes.recovery_codes_create(request=None, user=totp_user)

    response = browser.post("/account/two-step/recovery-codes/")

    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=totp_user).count() == 10
    client = Client()
    password_step(client, totp_user)
    assert client.post("/account/login/verify/", {"code": old[0]}).status_code == 400
    assert client.post("/account/login/verify/", {"code": new[0]}).status_code == 302


def test_recovery_codes_need_another_second_factor(browser, user):
    """Without an app or a passkey there is nothing for codes to back up."""
    response = browser.post("/account/two-step/recovery-codes/")

    assert response.status_code == 302 and response["Location"] == "/account/two-step/"
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_recovery_codes_still_match_after_a_secret_key_rotation(totp_user, settings):
    """SECRET_KEY_FALLBACKS keep the codes made under the previous key."""
    codes = recovery_codes.recovery_codes_create(request=None, user=totp_user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test"
    client = Client()
    password_step(client, totp_user)

    assert client.post("/account/login/verify/", {"code": codes[0]}).status_code == 302


# The two-step page


def test_the_two_step_page_tells_what_is_on(browser, totp_user):
    """The overview says the app is on, with Replace and Remove."""
    page = browser.get("/account/two-step/")

    assert page.status_code == 200
    assert page.context["status"].enabled
    assert "Remove" in page.content.decode()


def test_removing_the_app_removes_its_codes_and_the_second_step(browser, totp_user):
    """Without an app or a passkey, the codes go too, and the password alone signs in again."""
    recovery_codes.recovery_codes_create(request=None, user=totp_user)

    response = browser.post("/account/two-step/authenticator/remove/")

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=totp_user).exists()
    assert not RecoveryCode.objects.filter(user=totp_user).exists()
    assert kinds_of(totp_user)[-1] == "totp_removed"
    client = Client()
    assert password_step(client, totp_user).status_code == 302 and signed_in(client)


# Re-authentication


def test_an_old_sign_in_must_confirm_the_password_before_changing_the_app(browser, user):
    """Re-authentication: the page comes back after the current password."""
    make_sign_in_stale(browser)

    refused = browser.get("/account/two-step/authenticator/")

    assert refused.status_code == 302
    assert (
        refused["Location"]
        == "/account/reauthenticate/?next=%2Faccount%2Ftwo-step%2Fauthenticator%2F"
    )
    assert not TOTPDevice.objects.filter(user=user).exists()
    page = browser.get(refused["Location"])
    assert page.status_code == 200 and page.context["code_form"] is None

    wrong = browser.post(refused["Location"], {"password": "not-the-password"})
    assert wrong.status_code == 400
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED).count() == 1

    right = browser.post(
        "/account/reauthenticate/",
        {"password": PASSWORD, "next": "/account/two-step/authenticator/"},
    )
    assert right.status_code == 302 and right["Location"] == "/account/two-step/authenticator/"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REAUTHENTICATED).get().data == {
        "method": "pwd"
    }
    assert browser.get("/account/two-step/authenticator/").status_code == 200


def test_re_authentication_takes_an_authenticator_code(browser, totp_user):
    """A code of the app proves it too, once."""
    make_sign_in_stale(browser)
    code = code_of(TOTPDevice.objects.get(user=totp_user))

    response = browser.post(
        "/account/reauthenticate/", {"code": code, "next": "/account/two-step/"}
    )
    make_sign_in_stale(browser)
    session = browser.session
    session.pop("reauth_time")
    session.save()
    replay = browser.post("/account/reauthenticate/", {"code": code})

    assert response.status_code == 302 and response["Location"] == "/account/two-step/"
    assert replay.status_code == 400


def test_a_stale_post_is_sent_to_re_authenticate_and_back_to_its_page(browser, totp_user):
    """A form posted with an old sign-in changes nothing and comes back to the page after."""
    make_sign_in_stale(browser)

    response = browser.post(
        "/account/two-step/authenticator/remove/",
        HTTP_REFERER="http://testserver/account/two-step/",
    )

    assert response.status_code == 302
    assert response["Location"] == (
        "/account/reauthenticate/?next=http%3A%2F%2Ftestserver%2Faccount%2Ftwo-step%2F"
    )
    assert TOTPDevice.objects.filter(user=totp_user).exists()


def test_wrong_passwords_at_re_authentication_are_throttled(browser, user, settings):
    """The same throttle as the sign-in form: locked, the right password answers 429."""
    settings.SIGN_IN_LOCKOUT_FAILURES = 1
    make_sign_in_stale(browser)
    browser.post("/account/reauthenticate/", {"password": "wrong-password"})

    response = browser.post("/account/reauthenticate/", {"password": PASSWORD})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.REAUTHENTICATED).exists()


# The admin


@pytest.fixture
def staff(make_user):
    """Bob, staff of the identity admin."""
    return make_user(email="bob@example.com", is_staff=True, is_superuser=True)


def test_the_admin_refuses_staff_signed_in_without_mfa(staff):
    """403 with the way out: set up two-step sign-in and sign in again; audited."""
    client = Client()
    password_step(client, staff)

    response = client.get("/admin/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "Two-step sign-in required" in html and 'href="/account/two-step/"' in html
    denied = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_DENIED)
    assert denied.subject_user == staff and denied.data == {"path": "/admin/"}
    assert client.get("/admin/accounts/user/").status_code == 403


def test_the_admin_admits_staff_signed_in_with_a_second_factor(staff):
    """Password and TOTP code: the admin opens."""
    device = create_totp_device(staff)
    client = Client()
    password_step(client, staff, "/admin/")

    done = client.post("/account/login/verify/", {"code": code_of(device), "next": "/admin/"})

    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_staff_with_a_second_factor_but_a_one_factor_session_are_told_to_sign_in_again(staff):
    """Set up after signing in: the page offers to sign in again, which opens the admin."""
    client = Client()
    password_step(client, staff)
    device = create_totp_device(staff)

    refused = client.get("/admin/")
    assert refused.status_code == 403
    assert refused.context["sign_in_again_url"] == "/account/login/?next=%2Fadmin%2F"

    password_step(client, staff, "/admin/")
    client.post("/account/login/verify/", {"code": code_of(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_is_no_way_around_the_sign_in(staff):
    """/admin/login/ sends to /account/login/; a password posted there signs nobody in."""
    client = Client()

    page = client.get("/admin/login/?next=/admin/accounts/user/")
    posted = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.email, "password": PASSWORD, "next": "/admin/"},
    )
    index = client.get("/admin/")

    assert page.status_code == 302
    assert page["Location"] == "/account/login/?next=/admin/accounts/user/"
    assert posted.status_code == 302 and posted["Location"].startswith("/account/login/")
    assert not signed_in(client)
    assert index.status_code == 302 and index["Location"].startswith("/admin/login/")


def test_a_customer_is_refused_by_the_admin(browser):
    """Not staff: 403, not the sign-in form again."""
    response = browser.get("/admin/", follow=True)

    assert response.status_code == 403


def test_a_password_reset_cancels_a_pending_sign_in(totp_user):
    """The second step started with the old password is void once the password changed."""
    client = Client()
    client.post("/account/login/", {"username": totp_user.email, "password": PASSWORD})
    totp_user.set_password("a brand new passphrase 2026")
    totp_user.save()

    request = RequestFactory().get("/")
    request.session = client.session
    assert sign_in_pending(request) is None
