"""Single sign-on through the containers: sign in once, everywhere; sign out once, everywhere."""

from __future__ import annotations

from support.stack import wait_for
from support.web import sign_in_at_shop

from .stack import ComposeStack, SmokeClient


def user_name(client: SmokeClient, url: str) -> str | None:
    """Return the name a shop page shows for the signed-in user, None when signed out."""
    client.get(url)
    element = client.page().select_one(".user-name")
    return element.get_text(strip=True) if element else None


def signed_in_at_idp(client: SmokeClient, stack: ComposeStack) -> bool:
    """Return whether the identity server shows the profile page rather than the sign-in."""
    response = client.get(f"{stack.idp}/account/profile/")
    assert response.status_code == 200, response.text[:500]
    return response.url.startswith(f"{stack.idp}/account/profile/")


def test_sign_in_at_a_then_silently_at_b_then_out_everywhere(stack, client, customer):
    """A password at shop A, no prompt at shop B; signing out at A ends every session."""
    page = sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    assert page.url.startswith(stack.shop_a)
    assert user_name(client, f"{stack.shop_a}/") == customer.full_name

    response = client.get(f"{stack.shop_b}/oidc/login/?next=/")
    visited = [r.url for r in response.history] + [response.url]
    assert not any("/account/login/" in url for url in visited), visited
    assert user_name(client, f"{stack.shop_b}/") == customer.full_name

    client.get(f"{stack.shop_a}/")
    client.submit(form="form[action*='/oidc/logout/']")
    assert client.last.url == f"{stack.shop_a}/"
    assert user_name(client, f"{stack.shop_a}/") is None
    assert not signed_in_at_idp(client, stack)
    # Shop B hears of it from the events worker's back-channel logout token.
    assert wait_for(lambda: user_name(client, f"{stack.shop_b}/") is None, deadline_seconds=30)


def test_identity_admin_page_is_reachable(stack, client):
    """The identity server's admin answers with its sign-in form."""
    response = client.get(f"{stack.idp}/admin/")
    assert response.status_code == 200
    assert client.page().select_one("input[type=password]") is not None


def test_restarting_an_identity_server_keeps_users_signed_in(stack, client, customer):
    """The sessions live in PostgreSQL: an identity server container restarted (one replica
    of two in prod, which serves meanwhile) signs nobody out."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    restarted, *others = stack.idp_services
    stack.compose("stop", restarted)
    if others:
        assert signed_in_at_idp(client, stack), "the other replica knows the session"
        client.get(f"{stack.shop_b}/oidc/login/?next=/")
        assert user_name(client, f"{stack.shop_b}/") == customer.full_name
    stack.compose("start", restarted)
    stack.wait_servers_ready(stack.idp_direct)

    assert signed_in_at_idp(client, stack)
    assert user_name(client, f"{stack.shop_a}/") == customer.full_name
    response = client.get(f"{stack.shop_b}/oidc/login/?next=/")
    assert not any("/account/login/" in r.url for r in [*response.history, response])
    assert user_name(client, f"{stack.shop_b}/") == customer.full_name
