"""The database goes away: the identity server says so at once, and recovers on its own."""

from __future__ import annotations

from support.web import sign_in_at_shop

from .stack import SmokeClient


def test_database_down_answers_503_then_sign_in_works_again(stack, client, customer):
    """With PostgreSQL killed, pages and OAuth endpoints answer 503 with Retry-After within a
    second; once it is back, signing in works without restarting anything."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    stack.compose("kill", "db")
    try:
        page = client.get(f"{stack.idp}/account/profile/", allow_redirects=False)
        bearer = {"Authorization": "Bearer not-a-token"}
        api = client.get(f"{stack.idp}/o/userinfo/", headers=bearer)
    finally:
        stack.compose("start", "db")

    assert page.status_code == 503, page.text[:500]
    assert int(page.headers["Retry-After"]) > 0
    assert api.status_code == 503, api.text[:500]
    assert api.json()["error"] == "temporarily_unavailable"
    assert "Retry-After" in api.headers

    stack.wait_healthy("db")
    again = SmokeClient(stack)
    page = sign_in_at_shop(again, stack.shop_a, customer.email, customer.password)
    assert page.url.startswith(stack.shop_a)
    assert again.page().select_one(".user-name").get_text(strip=True) == customer.full_name
