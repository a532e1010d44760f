"""Password guessing at the identity server: throttled, locked out, and blind to who exists.

The stack runs with small throttle numbers (support/stack.py): 3 free failures per account,
then waits of 1 and 2 s, and an 8 s lockout at the 6th failure.
"""

import re
import secrets
import statistics
import time

import requests
from support.web import WebClient

GENERIC_ERROR = "That email and password do not match an active account."
LOCKOUT_FAILURES = 6
LOCKOUT_SECONDS = 8
TIMING_TRIES = 50


def sign_in_page(client: WebClient, idp: str) -> str:
    """Open the sign-in page; return its CSRF token (valid for the client's later tries)."""
    client.get(f"{idp}/account/login/")
    return client.page().select_one("input[name=csrfmiddlewaretoken]")["value"]


def try_password(
    client: WebClient, idp: str, token: str, email: str, password: str
) -> requests.Response:
    """Post the sign-in form once, without following the redirect of a success."""
    return client.post(
        f"{idp}/account/login/",
        {"csrfmiddlewaretoken": token, "username": email, "password": password},
        headers={"Referer": f"{idp}/account/login/"},
        allow_redirects=False,
    )


def signed_in(client: WebClient, idp: str) -> bool:
    """Return whether the client's session is signed in at the identity server."""
    return client.get(f"{idp}/account/profile/", allow_redirects=False).status_code == 200


def page_shape(response: requests.Response, email: str) -> str:
    """Return the page without what always differs: the email typed and the CSRF token."""
    html = response.text.replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def locked_events(stack, email: str) -> int:
    out = stack.shell(
        "identity_server",
        "from audit.models import AuditEvent; print(AuditEvent.objects.filter("
        f"kind='sign_in_locked', subject_user__email={email!r}).count())",
    )
    return int(out.splitlines()[-1])


def test_brute_force_hits_the_lockout_which_ends_by_itself(stack, customer):
    """Guesses reach the lockout; the right password is refused until the wait is over."""
    attacker = WebClient()
    token = sign_in_page(attacker, stack.idp)
    checked, refused = 0, 0
    for guess in range(40):
        response = try_password(attacker, stack.idp, token, customer.email, f"guess-{guess}")
        if response.status_code == 429:
            refused += 1
            if checked == LOCKOUT_FAILURES:
                break
            # A patient attacker waits exactly as long as told, then guesses again.
            time.sleep(int(response.headers["Retry-After"]))
        else:
            assert response.status_code == 200
            assert GENERIC_ERROR in response.text
            checked += 1

    owner = WebClient()
    owner_token = sign_in_page(owner, stack.idp)
    while_locked = try_password(owner, stack.idp, owner_token, customer.email, customer.password)
    retry_after = int(while_locked.headers["Retry-After"])

    assert checked == LOCKOUT_FAILURES
    assert while_locked.status_code == 429
    assert 0 < retry_after <= LOCKOUT_SECONDS
    assert GENERIC_ERROR in while_locked.text
    assert not signed_in(owner, stack.idp)
    assert locked_events(stack, customer.email) == 1

    # The lockout is temporary: once the wait the server gave is over, the owner gets in.
    time.sleep(retry_after)
    after = try_password(owner, stack.idp, owner_token, customer.email, customer.password)

    assert after.status_code == 302
    assert signed_in(owner, stack.idp)


def test_tries_ignoring_the_wait_are_refused_without_a_check(stack, customer):
    """Past the free failures, a burst of guesses gets 429 at once: the passwords go unchecked."""
    attacker = WebClient()
    token = sign_in_page(attacker, stack.idp)
    statuses = [
        try_password(attacker, stack.idp, token, customer.email, f"guess-{n}").status_code
        for n in range(4)
    ]
    burst = [
        try_password(attacker, stack.idp, token, customer.email, customer.password)
        for _ in range(5)
    ]

    assert statuses == [200, 200, 200, 200]
    assert {response.status_code for response in burst} == {429}
    assert all(GENERIC_ERROR in response.text for response in burst)
    assert not signed_in(attacker, stack.idp)


def test_unknown_email_and_wrong_password_look_and_take_the_same(stack, customer):
    """Same status and page, and median times within 10 ms over 50 tries each.

    The identity server hashes the password of an unknown email with the real argon2id
    hasher, as it verifies a known one's. Unknown emails are fresh each try; the known
    account signs in between tries so that its throttle never starts a wait: both kinds of
    try then take the whole path (throttle, password, audit log).
    """
    prober = WebClient()
    token = sign_in_page(prober, stack.idp)
    times: dict[str, list[float]] = {"unknown": [], "wrong": []}
    shapes: dict[str, set[tuple[int, str]]] = {"unknown": set(), "wrong": set()}

    def timed_try(kind: str, email: str) -> None:
        started = time.perf_counter()
        response = try_password(prober, stack.idp, token, email, "not-the-password-1")
        times[kind].append(time.perf_counter() - started)
        shapes[kind].add((response.status_code, page_shape(response, email)))

    for n in range(TIMING_TRIES):
        # Interleaved, so that load on the machine weighs on both kinds alike.
        timed_try("unknown", f"nobody.{secrets.token_hex(6)}@example.com")
        timed_try("wrong", customer.email)
        if n % 3 == 2:  # 3 free failures: the owner's sign-in forgets them (not timed)
            owner = WebClient()
            owner_token = sign_in_page(owner, stack.idp)
            reset = try_password(owner, stack.idp, owner_token, customer.email, customer.password)
            assert reset.status_code == 302

    unknown_median = statistics.median(times["unknown"])
    wrong_median = statistics.median(times["wrong"])
    assert len(shapes["unknown"]) == 1
    assert shapes["unknown"] == shapes["wrong"]
    assert next(iter(shapes["wrong"]))[0] == 200
    assert abs(unknown_median - wrong_median) < 0.010, (
        f"median unknown {unknown_median * 1000:.1f} ms, wrong {wrong_median * 1000:.1f} ms"
    )
