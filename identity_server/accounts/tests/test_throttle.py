"""The sign-in throttle: growing waits, lockout, expiry, per account and per IP, every path."""

import re
import time

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import authenticate
from django.contrib.auth import backends as django_backends
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from accounts.backends import ThrottledModelBackend
from accounts.services.throttle import (
    throttle_check,
    throttle_failure,
    throttle_success,
    wait_after,
)
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"
GENERIC_ERROR = "That email and password do not match an active account."
LOCKOUT_SECONDS = 60


class FakeClock:
    """time.time() under the test's control (the throttle and the local-memory cache read it)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _thresholds(settings) -> None:
    """Small numbers: 3 free failures, a wait of 1 then 2 s, a lockout at the 6th."""
    settings.SIGN_IN_FREE_FAILURES = 3
    settings.SIGN_IN_LOCKOUT_FAILURES = 6
    settings.SIGN_IN_IP_FREE_FAILURES = 10
    settings.SIGN_IN_IP_LOCKOUT_FAILURES = 20
    settings.SIGN_IN_LOCKOUT_SECONDS = LOCKOUT_SECONDS
    settings.TRUSTED_PROXIES = []


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """Record each password check ModelBackend makes (known user or not)."""
    checked: list[str] = []
    real = django_backends.check_password_with_timing_attack_mitigation

    def spy(user, password):
        checked.append(password)
        return real(user, password)

    monkeypatch.setattr(django_backends, "check_password_with_timing_attack_mitigation", spy)
    return checked


def request_from(ip: str = "203.0.113.7", **meta):
    return RequestFactory().post("/account/login/", REMOTE_ADDR=ip, **meta)


def fail(identifier: str, times: int = 1, ip: str = "203.0.113.7") -> list[int]:
    """Count ``times`` failures; return the wait each one started."""
    return [throttle_failure(request=request_from(ip), identifier=identifier) for _ in range(times)]


def sign_in(client: Client, email: str, password: str, **extra):
    return client.post("/account/login/", {"username": email, "password": password}, **extra)


def without_csrf_token(html: str) -> str:
    """Drop the per-response CSRF token, the one part of a page that differs each time."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_waits_are_free_then_double_then_lock(settings):
    """3 free failures, then 1 s, 2 s, then the lockout from the 6th failure on."""
    waits = [wait_after(failures=n, free=3, lockout=6) for n in range(1, 9)]

    assert waits == [0, 0, 0, 1, 2, LOCKOUT_SECONDS, LOCKOUT_SECONDS, LOCKOUT_SECONDS]


def test_growing_waits_stop_at_the_lockout_length():
    """A wait never exceeds SIGN_IN_LOCKOUT_SECONDS, even far past the free failures."""
    assert wait_after(failures=10, free=3, lockout=1000) == LOCKOUT_SECONDS
    assert wait_after(failures=10_000, free=3, lockout=100_000) == LOCKOUT_SECONDS


def test_a_wait_refuses_checks_until_it_ends(clock):
    """After the 4th failure the next check waits 1 s; after the 5th, 2 s."""
    request = request_from()
    assert fail("bob@example.com", 3) == [0, 0, 0]
    assert throttle_check(request=request, identifier="bob@example.com") is None

    assert fail("bob@example.com") == [1]
    assert throttle_check(request=request, identifier="bob@example.com") == 1
    clock.advance(1)
    assert throttle_check(request=request, identifier="bob@example.com") is None

    assert fail("bob@example.com") == [2]
    clock.advance(1)
    assert throttle_check(request=request, identifier="bob@example.com") == 1
    clock.advance(1)
    assert throttle_check(request=request, identifier="bob@example.com") is None


def test_lockout_is_audited_and_ends_by_itself(clock, user):
    """The 6th failure locks the account for SIGN_IN_LOCKOUT_SECONDS, then it opens again."""
    request = request_from(HTTP_USER_AGENT="brute/1.0")
    fail(user.email, 5)

    assert throttle_failure(request=request, identifier=user.email) == LOCKOUT_SECONDS

    assert throttle_check(request=request, identifier=user.email) == LOCKOUT_SECONDS
    clock.advance(LOCKOUT_SECONDS - 1)
    assert throttle_check(request=request, identifier=user.email) == 1
    clock.advance(1)
    assert throttle_check(request=request, identifier=user.email) is None
    locked = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN_LOCKED)
    assert locked.subject_user == user
    assert locked.ip == "203.0.113.7"
    assert locked.user_agent == "brute/1.0"
    assert locked.data == {"scope": "account", "failures": 6, "seconds": LOCKOUT_SECONDS}


def test_a_failure_right_after_a_lockout_locks_again(clock):
    """The count is kept for a while after the lockout: one more failure locks again."""
    fail("bob@example.com", 6)
    clock.advance(LOCKOUT_SECONDS)

    assert fail("bob@example.com") == [LOCKOUT_SECONDS]


def test_failures_are_forgotten_after_a_quiet_lockout_length(clock):
    """SIGN_IN_LOCKOUT_SECONDS after the wait ends without failures, the count starts over."""
    fail("bob@example.com", 6)
    clock.advance(2 * LOCKOUT_SECONDS + 1)

    assert fail("bob@example.com", 4) == [0, 0, 0, 1]


def test_identifier_case_and_spaces_share_one_counter(clock):
    """ " Bob@Example.COM " and "bob@example.com" are the same account to the throttle."""
    fail(" Bob@Example.COM ", 3)
    fail("bob@EXAMPLE.com", 1)

    assert throttle_check(request=request_from(), identifier="bob@example.com") == 1


def test_unknown_and_known_identifiers_are_counted_alike(clock, user):
    """An email with no account gets exactly the waits of an existing one."""
    known = fail(user.email, 8, ip="198.51.100.1")
    unknown = fail("nobody@example.com", 8, ip="198.51.100.2")

    assert known == unknown
    assert throttle_check(request=request_from("198.51.100.3"), identifier=user.email) == (
        throttle_check(request=request_from("198.51.100.4"), identifier="nobody@example.com")
    )


def test_cache_keys_do_not_hold_the_email(clock):
    """The counters are keyed by a keyed hash of the identifier, not the address itself."""
    fail("bob@example.com", 4)

    keys = list(cache._cache.keys())  # locmem: the raw keys
    assert keys
    assert not any("bob" in key for key in keys)


def test_success_forgets_the_account_failures_but_not_the_ip(clock, settings):
    """A right password resets the account's count; the IP keeps its own."""
    settings.SIGN_IN_IP_FREE_FAILURES = 3
    fail("bob@example.com", 4)
    throttle_success(request=request_from(), identifier="bob@example.com")

    assert (
        throttle_check(request=request_from("198.51.100.9"), identifier="bob@example.com") is None
    )
    assert throttle_check(request=request_from(), identifier="someone@example.com") == 1


def test_one_ip_spraying_many_accounts_is_throttled(clock):
    """10 failures from one IP on 10 accounts: the 11th account from that IP has to wait."""
    for n in range(11):
        fail(f"user{n}@example.com", ip="203.0.113.50")

    assert throttle_check(request=request_from("203.0.113.50"), identifier="new@example.com") == 1
    assert (
        throttle_check(request=request_from("203.0.113.51"), identifier="new@example.com") is None
    )


def test_rotating_x_forwarded_for_from_an_untrusted_peer_changes_nothing(clock):
    """Without trusted proxies, a new X-Forwarded-For per try is still the same IP."""
    for n in range(11):
        request = request_from("203.0.113.60", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        throttle_failure(request=request, identifier=f"user{n}@example.com")

    spoofed = request_from("203.0.113.60", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert throttle_check(request=spoofed, identifier="new@example.com") == 1


def test_a_trusted_proxy_x_forwarded_for_names_the_client(clock, settings):
    """Behind a trusted proxy, each client behind it is counted on its own."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(11):
        request = request_from("10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1")
        throttle_failure(request=request, identifier=f"user{n}@example.com")

    other_client = request_from("10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.2")
    same_client = request_from("10.0.0.3", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert throttle_check(request=other_client, identifier="new@example.com") is None
    assert throttle_check(request=same_client, identifier="new@example.com") == 1


def test_without_a_request_only_the_identifier_is_counted(clock):
    """authenticate() without a request (a script) still counts the account."""
    for _ in range(4):
        throttle_failure(request=None, identifier="bob@example.com")

    assert throttle_check(request=None, identifier="bob@example.com") == 1


def test_sign_in_form_refuses_the_right_password_while_throttled(
    clock, client, user, password_checks
):
    """While throttled: 429, Retry-After, the generic error, no session, no password check."""
    for _ in range(4):
        assert sign_in(client, user.email, "wrong-password").status_code == 200
    checks_before = len(password_checks)

    response = sign_in(client, user.email, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert GENERIC_ERROR in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert len(password_checks) == checks_before
    refused = AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED).latest("id")
    assert refused.subject_user == user
    assert refused.data == {"username": user.email, "throttled": True, "retry_after": 1}


def test_sign_in_works_after_the_wait_and_resets_the_count(clock, client, user):
    """Once the wait is over the right password signs in, and the count starts over."""
    for _ in range(5):
        sign_in(client, user.email, "wrong-password")
    clock.advance(2)

    assert sign_in(client, user.email, PASSWORD).status_code == 302
    assert throttle_check(request=request_from("198.51.100.20"), identifier=user.email) is None


def test_a_brute_force_locks_and_the_lockout_ends(clock, client, user):
    """Failures with each wait respected reach the lockout; after it, sign-in works."""
    for wait in (0, 0, 0, 1, 2):
        clock.advance(wait)
        assert sign_in(client, user.email, "wrong-password").status_code == 200
    clock.advance(2)
    assert sign_in(client, user.email, "wrong-password").status_code == 200  # the 6th

    locked = sign_in(client, user.email, PASSWORD)
    clock.advance(LOCKOUT_SECONDS)
    after = sign_in(client, user.email, PASSWORD)

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(LOCKOUT_SECONDS)
    assert after.status_code == 302
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_LOCKED).count() == 1


def test_unknown_email_and_wrong_password_answer_alike(client, user):
    """Same status and page for an unknown email and a wrong password, throttled or not."""
    answers = []
    for email in (user.email, "nobody@example.com"):
        answers.append(
            [
                (response.status_code, without_csrf_token(response.content.decode()))
                for response in (sign_in(Client(), email, "wrong-password") for _ in range(5))
            ]
        )
        cache.clear()

    assert [status for status, _ in answers[0]] == [200, 200, 200, 200, 429]
    assert answers[0] == [
        (status, body.replace("nobody@example.com", user.email)) for status, body in answers[1]
    ]


def test_inactive_account_fails_like_a_wrong_password(clock, client, make_user):
    """A deactivated account's right password is counted as a failure, not a success."""
    user = make_user(is_active=False)
    for _ in range(4):
        sign_in(client, user.email, PASSWORD)

    assert throttle_check(request=request_from("198.51.100.30"), identifier=user.email) == 1


def test_admin_login_cannot_go_around_the_throttle(clock, client, make_user, password_checks):
    """/admin/login/ checks no password: it sends staff to the throttled sign-in form."""
    staff = make_user(email="staff@example.com", is_staff=True, is_superuser=True)
    for _ in range(4):
        sign_in(client, "staff@example.com", "wrong-password")
    checks_before = len(password_checks)

    admin_try = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD}
    )
    form_try = sign_in(client, staff.email, PASSWORD)

    assert admin_try.status_code == 302
    assert admin_try["Location"] == "/account/login/?next=/admin/"
    assert form_try.status_code == 429
    assert "_auth_user_id" not in client.session
    assert len(password_checks) == checks_before


def test_authenticate_counts_every_path(clock, user, password_checks):
    """authenticate() (used by re-authentication and the admin) shares the counters."""
    request = request_from()
    for _ in range(4):
        assert authenticate(request, username=user.email, password="wrong-password") is None

    assert authenticate(request, username=user.email, password=PASSWORD) is None
    assert request.sign_in_retry_after == 1
    assert len(password_checks) == 4


def test_async_authenticate_is_throttled_too(clock, user):
    """aauthenticate() runs the same throttled check."""
    backend = ThrottledModelBackend()
    fail(user.email, 4)

    request = request_from()
    with pytest.raises(PermissionDenied):
        async_to_sync(backend.aauthenticate)(request, username=user.email, password=PASSWORD)
    assert request.sign_in_retry_after == 1


def test_a_failed_sign_in_is_audited_with_ip_and_agent_but_no_password(client, user):
    """Each failure names the account, the IP and the browser; the password is nowhere."""
    sign_in(client, user.email, "hunter2-wrong-guess", HTTP_USER_AGENT="Firefox/140")

    failed = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN_FAILED)
    assert failed.subject_user == user
    assert failed.ip == "127.0.0.1"
    assert failed.user_agent == "Firefox/140"
    assert failed.data == {"username": user.email}
    assert "hunter2" not in str(AuditEvent.objects.values_list("data", flat=True))


def test_a_cache_that_does_not_answer_lets_sign_in_go_ahead(settings, rf, caplog):
    """Redis down: checks are not throttled (and it is logged), never a 500."""
    from accounts.services import throttle

    # Django's setting_changed receiver gives the cache handler these settings.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    request = rf.post("/account/login/")

    assert throttle.throttle_check(request=request, identifier="a@example.com") is None
    assert throttle.throttle_failure(request=request, identifier="a@example.com") == 0
    assert "the cache did not answer" in caplog.text
