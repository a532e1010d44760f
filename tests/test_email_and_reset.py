"""Email verification and password reset through the real mails the identity server writes."""

import secrets
from urllib.parse import urljoin

import requests
from support.mail import mails_to, wait_for_mail
from support.oauth import id_token_verified, shop_a_tokens
from support.shops import signed_out_of
from support.stack import wait_for
from support.web import WebClient, sign_in_at_shop

PASSWORD = "analytical-engine-1843"
NEW_PASSWORD = "difference-engine-1822"


def new_address() -> str:
    return f"ada.{secrets.token_hex(4)}@example.com"


def register(client: WebClient, idp: str, email: str) -> requests.Response:
    """Fill in the registration form at the identity server."""
    client.get(f"{idp}/account/register/")
    return client.submit(
        {
            "email": email,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        form="form[method=post]",
    )


def shop_a_claims(stack, client: WebClient) -> tuple[dict, dict]:
    """Return the ID token's and userinfo's claims shop A gets for this signed-in browser.

    Acts as shop A's client; the ID token is checked against the IdP's published keys.
    """
    tokens = shop_a_tokens(stack, client)
    id_token = id_token_verified(stack, tokens["id_token"])
    userinfo = requests.get(
        f"{stack.idp}/o/userinfo/",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=30,
    ).json()
    return id_token, userinfo


def visible_text(client: WebClient) -> str:
    return " ".join(client.page().get_text(" ").split())


def test_register_verify_by_the_real_mail_then_sign_in_at_a_shop(stack, client):
    """Register from shop A; the mailed link verifies; signing in lands at the shop, verified."""
    email = new_address()
    client.get(f"{stack.shop_a}/oidc/login/?next=/")
    register_link = client.page().find("a", string="Create an account")
    client.get(urljoin(client.last.url, register_link["href"]))
    client.submit(
        {
            "email": email,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        form="form[method=post]",
    )
    assert client.last.url == f"{stack.idp}/account/register/check-email/"
    assert "Check your email" in visible_text(client)

    link = wait_for_mail(stack.mail_dir, email).link_containing("/account/verify-email/")
    assert link.startswith(f"{stack.idp}/account/verify-email/")
    client.get(link)
    client.submit(form="form[method=post]")
    assert "Email verified" in visible_text(client)

    sign_in = client.page().find("a", string="Sign in", class_="button")
    client.get(urljoin(client.last.url, sign_in["href"]))
    client.submit({"username": email, "password": PASSWORD}, form="form[method=post]")
    assert client.last.url.startswith(stack.shop_a)
    assert client.page().select_one(".user-name").get_text(strip=True) == "Ada Lovelace"

    id_token, userinfo = shop_a_claims(stack, client)
    assert (id_token["email"], id_token["email_verified"]) == (email, True)
    assert (userinfo["email"], userinfo["email_verified"]) == (email, True)


def test_registering_an_existing_address_looks_like_registering_a_new_one(stack, customer):
    """Same status, address and page for a taken address; its owner is told by mail."""
    fresh, taken = new_address(), customer.email
    answers = []
    for address in (fresh, taken):
        visitor = WebClient()
        response = register(visitor, stack.idp, address)
        answers.append(
            (response.status_code, response.url, visible_text(visitor).replace(address, "X"))
        )

    assert answers[0] == answers[1]
    assert answers[0][1] == f"{stack.idp}/account/register/check-email/"
    owner_mail = wait_for_mail(stack.mail_dir, taken)
    assert owner_mail.subject.startswith("Someone tried to create an account")
    assert owner_mail.link_containing("/account/password/reset/").startswith(stack.idp)
    assert "/account/verify-email/" in wait_for_mail(stack.mail_dir, fresh).body
    # The taken account is unchanged: its password still signs in.
    owner = WebClient()
    sign_in_at_shop(owner, stack.shop_a, customer.email, customer.password)
    assert owner.page().select_one(".user-name").get_text(strip=True) == customer.full_name


def test_reset_by_the_real_mail_ends_the_shop_sessions_and_works_once(stack, client, customer):
    """A reset from another device signs the user out at both shops; its link works only once."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    assert client.page().select_one(".user-name") is not None

    phone = WebClient()
    phone.get(f"{stack.idp}/account/login/")
    forgot = phone.page().find("a", string="Forgot your password?")
    phone.get(urljoin(phone.last.url, forgot["href"]))
    phone.submit({"email": customer.email}, form="form[method=post]")
    assert "If an account exists for that address" in visible_text(phone)
    link = wait_for_mail(stack.mail_dir, customer.email).link_containing("/account/password/reset/")
    assert link.startswith(f"{stack.idp}/account/password/reset/")
    phone.get(link)
    assert phone.last.url.endswith("/set-password/"), "the token leaves the address bar"
    phone.submit(
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, form="form[method=post]"
    )
    assert "Your password is set" in visible_text(phone)

    again = WebClient().get(link)
    assert again.status_code == 400
    assert "This link is no longer valid" in again.text

    assert wait_for(signed_out_of(client, stack.shop_a)), "shop A's session is over"
    assert wait_for(signed_out_of(client, stack.shop_b)), "shop B's session is over"
    assert client.get(f"{stack.idp}/account/profile/").url.startswith(
        f"{stack.idp}/account/login/"
    ), "the IdP session is over"

    old = sign_in_at_shop(WebClient(), stack.shop_a, customer.email, customer.password)
    assert old.url.startswith(f"{stack.idp}/account/login/"), "the old password is refused"
    new = WebClient()
    sign_in_at_shop(new, stack.shop_a, customer.email, NEW_PASSWORD)
    assert new.page().select_one(".user-name").get_text(strip=True) == customer.full_name
    assert [mail.subject for mail in mails_to(stack.mail_dir, customer.email)][-1] == (
        "Your password at Identity was changed"
    )
