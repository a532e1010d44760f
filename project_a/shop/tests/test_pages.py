import json
import re
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


def test_landing_page_query_budget(
    user_client: Client, user: AbstractBaseUser, django_assert_num_queries
) -> None:
    """The catalog a customer lands on after signing in costs 5 statements.

    1. the session; 2. the first page of products, which is the whole catalog (no COUNT);
    3. the user with its IdentityLink, for the avatar (one JOIN, sso_client's get_user);
    4. the cart count in the header; 5. the categories with products on sale.
    """
    from sso_client.models import IdentityLink

    IdentityLink.objects.create(
        user=user, issuer="http://localhost:8000/o", sub=user.get_username(), picture=""
    )
    call_command("seed_demo", stdout=StringIO())

    with django_assert_num_queries(5) as queries:
        response = user_client.get("/")

    assert response.status_code == 200
    tables = [re.findall(r'FROM "(\w+)"', query["sql"])[0] for query in queries.captured_queries]
    assert tables == [
        "django_session",
        "shop_product",
        "auth_user",
        "shop_cartitem",
        "shop_category",
    ]
    assert 'LEFT OUTER JOIN "sso_client_identitylink"' in queries.captured_queries[2]["sql"]
