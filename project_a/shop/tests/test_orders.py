from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from shop.models import Order, Product
from shop.services import cart_add_product, order_place
from shop.testing import create_test_user


def place_order(user: AbstractBaseUser, product: Product, quantity: int = 1) -> Order:
    cart_add_product(user=user, product=product, quantity=quantity)
    return order_place(user=user)


def test_orders_page_lists_only_the_users_own_orders(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """The "My orders" page shows the signed-in user's orders and nobody else's."""
    mine = place_order(user, product, 2)
    theirs = place_order(create_test_user(first_name="Bob"), product)

    response = user_client.get("/orders/")

    assert response.status_code == 200
    assert list(response.context["orders"]) == [mine]
    body = response.content.decode()
    assert f"Order #{mine.pk}" in body
    assert f"Order #{theirs.pk}" not in body
    assert '<span class="order-line-name">Enamel Mug</span>' in body


def test_orders_page_links_to_manage_my_account(user_client: Client) -> None:
    """The "My orders" page links to the profile page at the identity server."""
    body = user_client.get("/orders/").content.decode()

    assert 'href="http://localhost:8000/account/profile/">Manage my account</a>' in body
    assert "You have no orders yet." in body


def test_another_users_order_is_404(user_client: Client, product: Product) -> None:
    """An order of another user cannot be seen, even by its number."""
    theirs = place_order(create_test_user(), product)

    assert user_client.get(f"/orders/{theirs.pk}/").status_code == 404
