"""Issue 7's acceptance over the live servers and the events worker: a password change, a
deactivation and a profile change reach both shops with no action there, a shop that was down
catches up when it is back, and the session re-check bounds a delivery that is blocked.

A sign-out at one shop reaching the other (and a shop down during that sign-out) is in
test_event_workers.py; retries and refusals at a receiver in test_event_retries.py; forged
tokens in test_forged_events.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from conftest import idp_sub
from support.admin import user_deactivate
from support.oauth import shop_a_tokens, signed_in_at_idp
from support.shops import deliveries, shadow, signed_in_at, signed_out_of
from support.stack import wait_for
from support.two_step import staff_admin_client
from support.web import WebClient, sign_in_at_shop

NEW_PASSWORD = "changed-on-the-phone-2024"
PROFILE_FORM = "form[enctype='multipart/form-data']"
# The re-check bound shop B runs with in test_a_session_the_idp_ended_is_refused_...: long
# enough for a sign-out at A and one request at B to fit well inside it.
RECHECK_SECONDS = 8


def sign_in_at_both_shops(client: WebClient, stack, customer) -> None:
    for shop in (stack.shop_a, stack.shop_b):
        sign_in_at_shop(client, shop, customer.email, customer.password)
        assert signed_in_at(client, shop), client.last.text[:2000]


def signed_out_of_both(client: WebClient, stack) -> Callable[[], bool]:
    """Return a check for ``wait_for``: the next pages of both shops are anonymous."""
    return lambda: all(signed_out_of(client, shop)() for shop in (stack.shop_a, stack.shop_b))


def sign_out_at_idp(client: WebClient, stack) -> None:
    """Sign out on the identity server's own sign-out page; check that it took effect."""
    client.get(f"{stack.idp}/account/logout/")
    client.submit(form="form[action$='/account/logout/']")
    profile = client.get(f"{stack.idp}/account/profile/")
    assert profile.url.startswith(f"{stack.idp}/account/login/"), "signed out at the IdP"


def test_a_password_change_on_another_device_signs_out_both_shops(stack, client, customer):
    """Changed on the phone: the laptop's sessions at A and B end with no action there."""
    sign_in_at_both_shops(client, stack, customer)
    phone = signed_in_at_idp(stack, customer)
    phone.get(f"{stack.idp}/account/password/")

    changed = phone.submit(
        {
            "current_password": customer.password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        form="form[action$='/account/password/']",
    )

    assert "Password changed." in changed.text, changed.text[:3000]
    assert wait_for(signed_out_of_both(client, stack), deadline_seconds=10)
    phone.get(f"{stack.idp}/account/profile/")
    assert phone.last.url == f"{stack.idp}/account/profile/", "the phone stays signed in"


def test_deactivation_revokes_tokens_at_once_and_both_shops_end_the_shadow(
    stack, client, customer, make_customer
):
    """Admin deactivation: userinfo with the old access token is 401 at once; both shops mark
    the shadow inactive and end its sessions (the customer's next page is anonymous)."""
    sign_in_at_both_shops(client, stack, customer)
    sub = idp_sub(stack, customer.email)
    access_token = shop_a_tokens(stack, client)["access_token"]

    def userinfo() -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return requests.get(f"{stack.idp}/o/userinfo/", headers=headers, timeout=30)

    assert userinfo().status_code == 200
    admin = staff_admin_client(stack, make_customer("Ada", "Admin"))

    user_deactivate(admin, stack, customer.email)

    assert userinfo().status_code == 401
    assert wait_for(signed_out_of_both(client, stack), deadline_seconds=10)
    for project in ("project_a", "project_b"):
        assert wait_for(lambda p=project: not shadow(stack, p, sub)["is_active"]), project
        assert shadow(stack, project, sub)["sids"] == [], f"{project} kept an SSO session"


def test_a_shop_that_was_down_gets_the_new_name_and_the_sign_out_when_back(stack, client, customer):
    """B stopped while the user renames themselves and signs out at the IdP: once B is back it
    has the new name and no session, with no manual step; the sign-out did not wait on B."""
    sub = idp_sub(stack, customer.email)
    sign_in_at_both_shops(client, stack, customer)
    sign_out_at_idp(client, stack)
    assert wait_for(signed_out_of_both(client, stack), deadline_seconds=10)
    sign_in_at_both_shops(client, stack, customer)

    stack.server_stop("project_b")
    try:
        client.get(f"{stack.idp}/account/profile/")
        saved = client.submit({"given_name": "Rear Admiral"}, form=PROFILE_FORM)
        assert "Profile saved" in saved.text
        # The sign-out completes with B down: nothing is sent to B inside it.
        sign_out_at_idp(client, stack)
        # The worker tried B and keeps the deliveries pending for a retry.
        assert wait_for(
            lambda: any(
                row["status"] == "pending" and row["attempts"] >= 1 and row["last_error"]
                for row in deliveries(stack, sub, client_id="shop-b")
            ),
            deadline_seconds=15,
        )
        assert shadow(stack, "project_b", sub)["first_name"] == customer.given_name
    finally:
        stack.server_start("project_b")

    assert wait_for(
        lambda: shadow(stack, "project_b", sub)["first_name"] == "Rear Admiral",
        deadline_seconds=20,
    )
    assert wait_for(signed_out_of(client, stack.shop_b), deadline_seconds=10)
    assert shadow(stack, "project_b", sub)["sids"] == []
    assert wait_for(
        lambda: (
            {row["status"] for row in deliveries(stack, sub, client_id="shop-b")} == {"delivered"}
        )
    )


@pytest.fixture
def shop_b_rechecks(stack) -> Iterator[int]:
    """Shop B restarted with a short SESSION_RECHECK_SECONDS; back to the default after."""
    stack.restart("project_b", SSO_SESSION_RECHECK_SECONDS=str(RECHECK_SECONDS))
    try:
        yield RECHECK_SECONDS
    finally:
        stack.env.pop("SSO_SESSION_RECHECK_SECONDS")
        stack.restart("project_b")


@pytest.fixture
def worker_stopped(stack) -> Iterator[None]:
    """No deliveries: the events worker is stopped for the test, started again after."""
    assert stack.worker_stop() == 0, "the worker stops cleanly on SIGTERM"
    try:
        yield
    finally:
        stack.worker_start()


def test_a_session_the_idp_ended_is_refused_after_the_recheck_bound(
    stack, shop_b_rechecks, worker_stopped, client, customer
):
    """With B's logout token stuck in the outbox, B still refuses the session once it is due
    for its re-check at the identity server, and not before."""
    sub = idp_sub(stack, customer.email)
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    assert signed_in_at(client, stack.shop_b)
    client.get(f"{stack.shop_a}/")
    client.submit(form="form[action*='/oidc/logout/']")

    still_in = signed_in_at(client, stack.shop_b)
    refused = wait_for(signed_out_of(client, stack.shop_b), deadline_seconds=RECHECK_SECONDS + 5)

    assert still_in, "B learnt of the sign-out before its re-check was due"
    assert refused, "B still served the session after its re-check was due"
    logout_to_b = [
        row for row in deliveries(stack, sub, client_id="shop-b") if row["kind"] == "logout"
    ]
    assert logout_to_b and {row["status"] for row in logout_to_b} == {"pending"}
    assert {row["attempts"] for row in logout_to_b} == {0}, "nothing was delivered"
    assert shadow(stack, "project_b", sub)["sids"] == []
