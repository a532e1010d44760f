from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from shop.exceptions import EmptyCartError, OutOfStockError
from shop.models import CartItem, Order, Product
from shop.services import cart_add_product, order_place
from shop.testing import create_test_product, create_test_user, messages_of


def test_order_place_decrements_stock_and_creates_lines(
    user: AbstractBaseUser, product: Product
) -> None:
    """Checkout creates the order and its lines, takes the items out of stock, empties the cart."""
    pencil = create_test_product(name="Brass Pencil", price="32.00", stock=3)
    cart_add_product(user=user, product=product, quantity=2)
    cart_add_product(user=user, product=pencil, quantity=3)

    order = order_place(user=user)

    assert order.user == user
    assert order.status == Order.Status.PLACED
    assert order.total == Decimal("121.00")
    lines = [(line.product_name, line.unit_price, line.quantity) for line in order.lines.all()]
    assert sorted(lines) == [
        ("Brass Pencil", Decimal("32.00"), 3),
        ("Enamel Mug", Decimal("12.50"), 2),
    ]
    product.refresh_from_db()
    pencil.refresh_from_db()
    assert (product.stock, pencil.stock) == (3, 0)
    assert not CartItem.objects.filter(cart__user=user).exists()


def test_order_place_refuses_more_than_stock_and_changes_nothing(
    user: AbstractBaseUser, product: Product
) -> None:
    """When stock ran out since the item was added, no order is placed and stock is unchanged."""
    cart_add_product(user=user, product=product, quantity=4)
    rival = create_test_user(first_name="Bob")
    cart_add_product(user=rival, product=product, quantity=3)
    order_place(user=rival)

    with pytest.raises(OutOfStockError, match=r'only 2 of "Enamel Mug" left in stock'):
        order_place(user=user)

    product.refresh_from_db()
    assert product.stock == 2
    assert not Order.objects.filter(user=user).exists()
    assert CartItem.objects.get(cart__user=user).quantity == 4


def test_order_place_refuses_product_withdrawn_from_sale(
    user: AbstractBaseUser, product: Product
) -> None:
    """A product made inactive after it was put in the cart cannot be bought."""
    cart_add_product(user=user, product=product, quantity=1)
    Product.objects.filter(pk=product.pk).update(active=False)

    with pytest.raises(OutOfStockError, match="no longer available"):
        order_place(user=user)
    assert not Order.objects.exists()


def test_order_place_refuses_empty_cart(user: AbstractBaseUser) -> None:
    """An empty cart cannot be checked out."""
    with pytest.raises(EmptyCartError, match=r"Your cart is empty\."):
        order_place(user=user)
    assert not Order.objects.exists()


def test_order_place_checks_out_only_the_users_own_cart(
    user: AbstractBaseUser, product: Product
) -> None:
    """Another user's full cart is neither ordered nor emptied by this user's checkout."""
    other = create_test_user(first_name="Bob")
    cart_add_product(user=other, product=product, quantity=1)

    with pytest.raises(EmptyCartError, match=r"Your cart is empty\."):
        order_place(user=user)
    assert not Order.objects.exists()
    assert CartItem.objects.get(cart__user=other).quantity == 1


def test_checkout_view_places_order_and_shows_it(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """POST /checkout/ places the order and shows it with a thank-you message."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "2"})

    response = user_client.post("/checkout/", follow=True)

    order = Order.objects.get(user=user)
    assert response.redirect_chain == [(f"/orders/{order.pk}/", 302)]
    body = response.content.decode()
    assert f"Thank you! Your order #{order.pk} has been placed." in body
    assert "Enamel Mug" in body
    product.refresh_from_db()
    assert product.stock == 3


def test_checkout_view_out_of_stock_shows_message(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """A checkout beyond the stock goes back to the cart with the reason; stock is unchanged."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "5"})
    Product.objects.filter(pk=product.pk).update(stock=0)

    response = user_client.post("/checkout/", follow=True)

    assert response.redirect_chain == [("/cart/", 302)]
    assert "Sorry, &quot;Enamel Mug&quot; is out of stock." in response.content.decode()
    product.refresh_from_db()
    assert product.stock == 0
    assert not Order.objects.exists()


def test_checkout_view_empty_cart_shows_message(user_client: Client) -> None:
    """Checking out an empty cart says so and places nothing."""
    response = user_client.post("/checkout/", follow=True)

    assert response.redirect_chain == [("/cart/", 302)]
    assert messages_of(response) == ["Your cart is empty."]
    assert not Order.objects.exists()


def test_checkout_by_get_is_405(user_client: Client) -> None:
    """Only POST places an order."""
    assert user_client.get("/checkout/").status_code == 405
