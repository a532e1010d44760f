"""Retries over the live stack: shop B's events URI is pointed at a receiver that answers what
the test scripts (503, 400) before forwarding to B, and records every token it saw."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from conftest import idp_sub
from support.receiver import ScriptedReceiver, scripted_receiver
from support.shops import deliveries, shadow
from support.stack import wait_for
from support.two_step import staff_admin_client
from support.web import WebClient, sign_in_at_shop

CLAIMS_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change"
PROFILE_FORM = "form[enctype='multipart/form-data']"


@pytest.fixture
def shop_b_behind(stack) -> Iterator[Callable[[list[int]], ScriptedReceiver]]:
    """Return a function that puts a scripted receiver in front of shop B's events URI.

    The identity server's registration of shop B is restored afterwards.
    """
    client_id, _ = stack.client_credentials("SHOP_B")

    def events_uri_set(uri: str) -> None:
        stack.run(
            "identity_server", "manage", "oidc_client", "update", client_id, "--events-uri", uri
        )

    with ExitStack() as receivers:

        def put(script: list[int]) -> ScriptedReceiver:
            receiver = receivers.enter_context(scripted_receiver(script, upstream=stack.shop_b))
            events_uri_set(f"{receiver.origin}/oidc/events/")
            return receiver

        try:
            yield put
        finally:
            events_uri_set(f"{stack.shop_b}/oidc/events/")


def rename_at_idp(stack, client: WebClient, given_name: str) -> None:
    """Change the signed-in customer's first name on the identity server's profile page."""
    client.get(f"{stack.idp}/account/profile/")
    saved = client.submit({"given_name": given_name}, form=PROFILE_FORM)
    assert "Profile saved" in saved.text, saved.text[:2000]


def received_about(receiver: ScriptedReceiver, sub: str) -> list:
    return [seen for seen in receiver.received if seen.claims["sub"] == sub]


def test_503_three_times_then_delivered_on_the_fourth_attempt_each_with_a_new_jti(
    stack, client, customer, shop_b_behind
):
    """B unavailable three times: the 4th attempt reaches B, which applies the new name; each
    attempt was signed afresh (new jti) for the same event (same txn and toe)."""
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    sub = idp_sub(stack, customer.email)
    receiver = shop_b_behind([503, 503, 503])

    rename_at_idp(stack, client, "Rear Admiral")

    assert wait_for(
        lambda: shadow(stack, "project_b", sub)["first_name"] == "Rear Admiral",
        deadline_seconds=20,
    )
    seen = received_about(receiver, sub)
    assert [attempt.status for attempt in seen] == [503, 503, 503, 202]
    assert len({attempt.claims["jti"] for attempt in seen}) == 4
    assert len({(attempt.claims["txn"], attempt.claims["toe"]) for attempt in seen}) == 1
    assert {attempt.content_type for attempt in seen} == {"application/secevent+jwt"}
    assert all(list(attempt.claims["events"]) == [CLAIMS_CHANGE] for attempt in seen)
    [delivery] = [row for row in deliveries(stack, sub, client_id="shop-b") if row["kind"] == "set"]
    assert (delivery["status"], delivery["attempts"], delivery["txn"]) == (
        "delivered",
        4,
        seen[0].claims["txn"],
    )


def test_a_400_is_not_retried_and_shows_as_failed_in_the_admin(
    stack, client, customer, make_customer, shop_b_behind
):
    """B refuses the SET: one attempt, the delivery failed with B's answer, listed as such in
    the identity admin's deliveries; B's shadow is not changed."""
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    sub = idp_sub(stack, customer.email)
    receiver = shop_b_behind([400])

    rename_at_idp(stack, client, "Refused")

    def set_rows() -> list[dict]:
        return [row for row in deliveries(stack, sub, client_id="shop-b") if row["kind"] == "set"]

    assert wait_for(lambda: [row["status"] for row in set_rows()] == ["failed"])
    # Longer than the stack's longest retry delay (2 s): a retry would have come.
    assert not wait_for(lambda: len(received_about(receiver, sub)) > 1, deadline_seconds=3)
    [delivery] = set_rows()
    assert (delivery["attempts"], delivery["last_status_code"]) == (1, 400)
    assert [attempt.status for attempt in received_about(receiver, sub)] == [400]
    assert shadow(stack, "project_b", sub)["first_name"] == customer.given_name

    admin = staff_admin_client(stack, make_customer("Ada", "Admin"))
    admin.get(f"{stack.idp}/admin/events/delivery/", params={"status__exact": "failed", "q": sub})
    rows = {
        row.select_one("th, td.field-id").get_text(strip=True): row.get_text(" ", strip=True)
        for row in admin.page().select("#result_list tbody tr")
    }
    assert str(delivery["id"]) in rows, admin.last.text[:3000]
    row = rows[str(delivery["id"])]
    assert "Failed" in row and "400" in row and "HTTP 400 Bad Request" in row
    assert "token-claims-change" in row
