"""Signing out at a shop ends the shop session and the identity server session."""

from support.shops import signed_out_of
from support.stack import wait_for
from support.web import query, sign_in_at_shop


def test_sign_out_ends_shop_and_idp_sessions_and_returns_to_the_shop(stack, client, customer):
    """The "Sign out" button ends the IdP session too and comes back to the shop, signed out."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)

    response = client.submit(form="form[action*='/oidc/logout/']")

    end_session = next(r for r in response.history if "/o/logout/" in r.url)
    params = query(end_session.url)
    assert params["id_token_hint"]
    assert params["post_logout_redirect_uri"] == f"{stack.shop_a}/"
    assert response.url == f"{stack.shop_a}/"
    assert client.page().select_one(".user-name") is None

    profile = client.get(f"{stack.idp}/account/profile/")
    assert profile.url.startswith(f"{stack.idp}/account/login/"), "the IdP session is over"
    again = client.get(f"{stack.shop_a}/oidc/login/?next=/")
    assert again.url.startswith(f"{stack.idp}/account/login/"), (
        "signing in again asks for a password"
    )


def test_end_session_refuses_an_unregistered_post_logout_redirect(stack, client, customer):
    """The IdP does not send the user to a post-logout URI the client did not register."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    response = client.get(
        f"{stack.idp}/o/logout/",
        params={"client_id": "shop-a", "post_logout_redirect_uri": "https://evil.example/"},
        allow_redirects=False,
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_sign_out_at_one_shop_signs_out_at_the_other(stack, client, customer):
    """Back-channel logout: after signing out at A, the session at B is over too."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    client.get(f"{stack.shop_b}/")
    assert client.page().select_one(".user-name") is not None

    client.get(f"{stack.shop_a}/")
    client.submit(form="form[action*='/oidc/logout/']")

    # The events worker delivers B's logout token after the sign-out answered.
    assert wait_for(signed_out_of(client, stack.shop_b))
