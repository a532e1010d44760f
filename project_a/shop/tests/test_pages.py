import json
from io import StringIO

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import call_command
from django.test import Client

from shop.models import Category, Product
from shop.services import cart_add_product, order_place
from shop.testing import create_test_user


def test_header_shows_user_name_and_account_links_when_signed_in(user_client: Client) -> None:
    """Signed in: the header names the user and offers account, orders, cart and sign-out."""
    body = user_client.get("/").content.decode()

    assert '<span class="user-name">Alice Liddell</span>' in body
    assert ">Manage my account</a>" in body
    assert ">My orders</a>" in body
    assert '<span class="cart-count">0</span>' in body
    assert 'action="/oidc/logout/"' in body
    assert "Sign out</button>" in body
    assert "csrfmiddlewaretoken" in body
    assert ">Sign in</a>" not in body


def test_header_falls_back_to_email_without_a_name(client: Client, db: None) -> None:
    """A user without a name is shown by email."""
    client.force_login(create_test_user(first_name="", last_name="", email="nn@example.com"))

    assert '<span class="user-name">nn@example.com</span>' in client.get("/").content.decode()


def test_header_offers_sign_in_when_signed_out(client: Client, db: None) -> None:
    """Signed out: a "Sign in" link to single sign-on, no user name."""
    body = client.get("/").content.decode()

    assert 'href="/oidc/login/?next=%2F"' in body
    assert ">Sign in</a>" in body
    assert "user-name" not in body
    assert "Shop A" in body


def test_healthz_queries_the_database(client: Client, db: None) -> None:
    """/healthz answers 200 {"status": "ok"} after a database query."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_admin_login_redirects_to_sso_login_keeping_next(client: Client, db: None) -> None:
    """The admin's sign-in page goes through single sign-on, keeping where the admin was going."""
    response = client.get("/admin/login/?next=/admin/shop/order/")
    assert response.status_code == 302
    assert response["Location"] == "/oidc/login/?next=%2Fadmin%2Fshop%2Forder%2F"

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_admin_login_refuses_offsite_next(client: Client, db: None) -> None:
    """An off-site next falls back to the admin index (no open redirect)."""
    response = client.get("/admin/login/?next=https://evil.example/")

    assert response["Location"] == "/oidc/login/?next=%2Fadmin%2F"


def test_shop_staff_can_manage_products_in_admin(client: Client, db: None) -> None:
    """A staff shadow (from the shop-staff group) manages products without local permissions."""
    client.force_login(create_test_user(is_staff=True))

    assert client.get("/admin/shop/product/").status_code == 200
    assert client.get("/admin/shop/order/").status_code == 200


def test_shop_staff_see_an_orders_lines_in_admin(
    client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """The order page shows its lines to staff, who hold no local view permission on them."""
    cart_add_product(user=user, product=product, quantity=2)
    order = order_place(user=user)
    client.force_login(create_test_user(is_staff=True))

    response = client.get(f"/admin/shop/order/{order.pk}/change/")

    assert response.status_code == 200
    assert [formset.formset.prefix for formset in response.context["inline_admin_formsets"]] == [
        "lines"
    ]
    assert "Enamel Mug" in response.content.decode()


def test_customer_cannot_open_admin(user_client: Client, user: AbstractBaseUser) -> None:
    """A customer who is not staff is sent to sign in again, not shown the admin."""
    response = user_client.get("/admin/shop/product/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/shop/product/"


def test_signed_in_customer_gets_a_403_page_not_a_sign_in_loop(
    user_client: Client, user: AbstractBaseUser
) -> None:
    """The admin's sign-in page tells a signed-in non-staff user why, instead of redirecting."""
    response = user_client.get("/admin/login/", {"next": "/admin/shop/product/"})

    assert response.status_code == 403
    assert "No access to the admin" in response.content.decode()


def test_seed_demo_is_idempotent(db: None) -> None:
    """seed_demo creates the demo catalog once; a second run changes nothing."""
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    Product.objects.filter(slug="enamel-mug").update(stock=1)

    call_command("seed_demo", stdout=second)

    assert first.getvalue() == "Demo catalog: 8 products created, 8 in total.\n"
    assert second.getvalue() == "Demo catalog: 0 products created, 8 in total.\n"
    assert Category.objects.count() == 3
    assert Product.objects.filter(stock__gt=0, active=True).count() == 8
    assert Product.objects.get(slug="enamel-mug").stock == 1


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unexpected_methods_are_405(user_client: Client, method: str) -> None:
    """Methods a page does not take are refused, never a 500."""
    assert getattr(user_client, method)("/cart/").status_code == 405


def test_header_shows_avatar_from_identity_link(
    user_client: Client, user: AbstractBaseUser
) -> None:
    """With a picture claim on file, the header shows the avatar."""
    from sso_client.models import IdentityLink

    IdentityLink.objects.create(
        user=user,
        issuer="http://localhost:8000/o",
        sub=user.get_username(),
        picture="http://localhost:8000/media/avatars/alice.png",
    )

    body = user_client.get("/").content.decode()

    assert 'class="avatar" src="http://localhost:8000/media/avatars/alice.png"' in body


def test_error_pages_use_the_shop_layout(rf, db: None) -> None:
    """400, 403 and 500 render the shop's own pages, the 500 one without any context."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied, SuspiciousOperation
    from django.views import defaults

    request = rf.get("/")
    request.user = AnonymousUser()

    response = defaults.bad_request(request, SuspiciousOperation())
    assert (response.status_code, b"Bad request" in response.content) == (400, True)
    response = defaults.permission_denied(request, PermissionDenied())
    assert (response.status_code, b"Not allowed" in response.content) == (403, True)
    response = defaults.server_error(request)
    assert (response.status_code, b"Something went wrong" in response.content) == (500, True)


def test_admin_logout_signs_out_through_sso(client: Client, db: None) -> None:
    """The admin's "Log out" ends the session through sso_client's logout, not Django's."""
    client.force_login(create_test_user(is_staff=True))

    response = client.post("/admin/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/logout/").status_code == 405
