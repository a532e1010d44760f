"""An admin manages accounts and clients in the identity server's admin."""

from urllib.parse import urljoin

import pytest
from support.admin import user_change_page
from support.shops import signed_in_at, signed_out_of
from support.stack import wait_for
from support.two_step import staff_admin_client
from support.web import WebClient, sign_in_at_shop

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "demo-admin-pass"
NEW_PASSWORD = "set-by-the-admin-2024"


@pytest.fixture
def admin(stack, make_customer) -> WebClient:
    """A superuser in the identity admin, signed in with a password and an app code."""
    return staff_admin_client(stack, make_customer("Ada", "Admin"))


def test_admin_finds_edits_and_deactivates_a_user_who_then_cannot_sign_in(stack, customer, admin):
    """Deactivated in the IdP admin, a customer is signed out and can sign in at neither shop."""
    shopper = WebClient()
    sign_in_at_shop(shopper, stack.shop_a, customer.email, customer.password)
    assert shopper.page().select_one(".user-name") is not None
    user_change_page(admin, stack, customer.email)

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

    assert wait_for(signed_out_of(shopper, stack.shop_a)), "the open shop session ended"
    for shop in (stack.shop_a, stack.shop_b):
        client = WebClient()
        page = sign_in_at_shop(client, shop, customer.email, customer.password)
        assert page.url.startswith(f"{stack.idp}/account/login/")
        assert client.page().select_one(".user-name") is None


def test_admin_sees_oauth_clients_with_secrets_masked(stack, admin):
    """The clients list shows both shops and never a client secret."""
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


def test_a_password_the_admin_sets_signs_the_user_out_of_every_shop(stack, customer, admin):
    """Reset from the admin: the customer's shop sessions end; only the new password works."""
    shopper = WebClient()
    sign_in_at_shop(shopper, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(shopper, stack.shop_b, customer.email, customer.password)
    assert signed_in_at(shopper, stack.shop_a) and signed_in_at(shopper, stack.shop_b)
    change_page = user_change_page(admin, stack, customer.email)
    reset = admin.page().find("a", href=lambda href: href and href.endswith("/password/"))
    admin.get(urljoin(change_page.url, reset["href"]))

    saved = admin.submit(
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, form="form#user_form"
    )

    assert "Password changed." in saved.text, saved.text[:3000]
    assert wait_for(signed_out_of(shopper, stack.shop_a))
    assert wait_for(signed_out_of(shopper, stack.shop_b))
    assert shopper.get(f"{stack.idp}/account/").url.startswith(f"{stack.idp}/account/login/")
    old = WebClient()
    sign_in_at_shop(old, stack.shop_a, customer.email, customer.password)
    assert not signed_in_at(old, stack.shop_a)
    new = WebClient()
    sign_in_at_shop(new, stack.shop_a, customer.email, NEW_PASSWORD)
    assert signed_in_at(new, stack.shop_a)


def test_end_all_sessions_signs_the_user_out_of_every_shop(stack, customer, admin):
    """The change page's "End all sessions" asks, then signs the customer out everywhere."""
    shopper = WebClient()
    sign_in_at_shop(shopper, stack.shop_a, customer.email, customer.password)
    assert signed_in_at(shopper, stack.shop_a)
    change_page = user_change_page(admin, stack, customer.email)
    button = admin.page().find("a", string="End all sessions")
    admin.get(urljoin(change_page.url, button["href"]))

    ended = admin.submit(form="#content form[method=post]")

    assert "1 session(s) ended" in ended.text, ended.text[:3000]
    assert wait_for(signed_out_of(shopper, stack.shop_a))
    again = WebClient()
    sign_in_at_shop(again, stack.shop_a, customer.email, customer.password)
    assert signed_in_at(again, stack.shop_a), "the password still works"


def test_adding_an_application_shows_its_secret_once(stack, admin):
    """Add → the secret is on the next page, stored hashed, and never shown again."""
    admin.get(f"{stack.idp}/admin/oauth2_provider/application/add/")
    form = {
        "name": "Shop C",
        "redirect_uris": "http://localhost:8003/oidc/callback/",
        "post_logout_redirect_uris": "http://localhost:8003/",
    }

    shown = admin.submit(form, form="form#application_form")

    secret_input = admin.page().select_one("input.new-secret")
    assert secret_input is not None, shown.text[:3000]
    secret = secret_input["value"]
    assert "will not be shown again" in shown.text
    assert secret not in admin.get(shown.url).text
    listing = admin.get(f"{stack.idp}/admin/oauth2_provider/application/", params={"q": "Shop C"})
    detail = admin.get(urljoin(listing.url, admin.page().select_one("#result_list th a")["href"]))
    assert secret not in detail.text
    verified = stack.shell(
        "identity_server",
        "from django.contrib.auth.hashers import check_password; "
        "from oauth2_provider.models import Application; "
        "a = Application.objects.get(name='Shop C'); "
        f"print(check_password({secret!r}, a.client_secret), {secret!r} in a.client_secret)",
    )
    assert verified.splitlines()[-1] == "True False"


def test_an_invalid_redirect_uri_is_a_form_error(stack, admin):
    """A wildcard redirect URI is refused on the form, with the reason; nothing is added."""
    admin.get(f"{stack.idp}/admin/oauth2_provider/application/add/")

    refused = admin.submit(
        {"name": "Shop W", "redirect_uris": "http://*.localhost/cb"}, form="form#application_form"
    )

    assert refused.status_code == 200
    errors = admin.page().select_one(".errorlist")
    assert errors is not None and "wildcards are not allowed" in errors.get_text()
    count = stack.shell(
        "identity_server",
        "from oauth2_provider.models import Application; "
        "print(Application.objects.filter(name='Shop W').count())",
    )
    assert count.splitlines()[-1] == "0"
