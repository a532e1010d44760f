"""An admin manages accounts in the identity server's admin."""

from urllib.parse import urljoin

from support.web import WebClient, sign_in_at_shop

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "demo-admin-pass"


def admin_client(stack) -> WebClient:
    client = WebClient()
    client.get(f"{stack.idp}/admin/login/?next=/admin/")
    client.submit({"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, form="form#login-form")
    assert client.last.url == f"{stack.idp}/admin/", client.last.text[:500]
    return client


def test_admin_finds_edits_and_deactivates_a_user_who_then_cannot_sign_in(stack, customer):
    """Deactivated in the IdP admin, a customer is signed out and can sign in at neither shop."""
    shopper = WebClient()
    sign_in_at_shop(shopper, stack.shop_a, customer.email, customer.password)
    assert shopper.page().select_one(".user-name") is not None
    admin = admin_client(stack)
    results = admin.get(f"{stack.idp}/admin/accounts/user/", params={"q": customer.email})
    row = admin.page().select_one("#result_list tbody tr th a")
    assert row is not None and customer.email in results.text
    admin.get(urljoin(results.url, row["href"]))

    saved = admin.submit(
        {"nickname": "deactivated-by-admin"}, form="form#user_form", untick=("is_active",)
    )

    assert "was changed successfully" in saved.text, saved.text[:3000]
    stored = stack.shell(
        "identity_server",
        "from accounts.models import User; "
        f"u = User.objects.get(email={customer.email!r}); print(u.nickname, u.is_active)",
    )
    assert stored.splitlines()[-1] == "deactivated-by-admin False"

    shopper.get(f"{stack.shop_a}/")
    assert shopper.page().select_one(".user-name") is None, "the open shop session ended"
    for shop in (stack.shop_a, stack.shop_b):
        client = WebClient()
        page = sign_in_at_shop(client, shop, customer.email, customer.password)
        assert page.url.startswith(f"{stack.idp}/account/login/")
        assert client.page().select_one(".user-name") is None


def test_admin_sees_oauth_clients_with_secrets_masked(stack):
    """The clients list shows both shops and never a client secret."""
    admin = admin_client(stack)
    secrets = [stack.client_credentials(shop)[1] for shop in ("SHOP_A", "SHOP_B")]
    listing = admin.get(f"{stack.idp}/admin/oauth2_provider/application/")
    assert "shop-a" in listing.text and "shop-b" in listing.text
    detail_link = admin.page().select_one("#result_list tbody tr th a")
    detail = admin.get(urljoin(listing.url, detail_link["href"]))
    for secret in secrets:
        assert secret not in listing.text
        assert secret not in detail.text
    assert "pbkdf2" not in detail.text and "sha256$" not in detail.text


def test_shop_staff_reach_the_shop_admin_through_single_sign_on(stack):
    """A member of `shop-admins` at the IdP opens each shop's admin by signing in once."""
    staff = WebClient()
    for shop in (stack.shop_a, stack.shop_b):
        page = staff.get(f"{shop}/admin/")
        if page.url.startswith(f"{stack.idp}/account/login/"):
            credentials = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            staff.submit(credentials, form="form[method=post]")

        assert staff.last.url == f"{shop}/admin/"
        assert staff.page().select_one("#site-name") is not None
        assert staff.get(f"{shop}/admin/shop/order/").status_code == 200


def test_a_customer_is_kept_out_of_the_shop_admin(stack, customer):
    """A signed-in customer without a staff group does not get into the shop admin."""
    client = WebClient()
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)

    response = client.get(f"{stack.shop_a}/admin/shop/order/")

    assert response.status_code == 403
    assert response.url.startswith(f"{stack.shop_a}/admin/login/")
    assert client.page().select_one("#result_list") is None
