"""Sign in once at the identity server, be signed in at every shop."""

from urllib.parse import urljoin

from conftest import idp_sub, shadow_subs
from support.web import query, sign_in_at_shop


def test_customer_signs_in_at_shop_a_through_the_identity_server(stack, client, customer):
    """The "Sign in" link at shop A leads to the IdP's sign-in and back to A, signed in by name."""
    client.get(f"{stack.shop_a}/")
    sign_in_link = client.page().find("a", string=lambda text: text and "Sign in" in text)
    assert sign_in_link is not None

    login_page = client.get(f"{stack.shop_a}{sign_in_link['href']}")
    assert login_page.url.startswith(f"{stack.idp}/account/login/")

    shop_page = client.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )
    assert shop_page.url.startswith(stack.shop_a)
    assert client.page().select_one(".user-name").get_text(strip=True) == customer.full_name


def test_second_shop_signs_the_user_in_without_a_password_prompt(stack, client, customer):
    """After signing in at A, opening B's sign-in returns signed in with no form to fill."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)

    response = client.get(f"{stack.shop_b}/oidc/login/?next=/")

    visited = [r.url for r in response.history] + [response.url]
    assert not any("/account/login/" in url for url in visited)
    assert response.url.startswith(stack.shop_b)
    assert client.page().select_one(".user-name").get_text(strip=True) == customer.full_name


def test_both_shops_link_their_shadow_to_the_same_subject(stack, client, customer):
    """The shadow users at A and B carry the IdP's opaque sub, the same at both."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)

    subject = idp_sub(stack, customer.email)
    assert shadow_subs(stack, "project_a", customer.email) == [subject]
    assert shadow_subs(stack, "project_b", customer.email) == [subject]


def test_new_customer_registers_from_the_shops_sign_in_page(stack, client):
    """A customer without an account registers from the sign-in page, then verifies by mail.

    The mail's link and the sign-in back at the shop: tests/test_email_and_reset.py.
    """
    login_page = client.get(f"{stack.shop_a}/oidc/login/?next=/")
    register_link = client.page().find("a", string="Create an account")
    assert register_link is not None, "the sign-in page offers registration"
    client.get(urljoin(login_page.url, register_link["href"]))
    assert query(login_page.url).get("next")

    client.submit(
        {
            "email": "new.customer@example.com",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "password1": "analytical-engine-1843",
            "password2": "analytical-engine-1843",
        },
        form="form[method=post]",
    )

    assert client.last.url == f"{stack.idp}/account/register/check-email/"
    client.get(f"{stack.shop_a}/")
    assert client.page().select_one(".user-name") is None, "not signed in before verifying"
