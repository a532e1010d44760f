from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from shop.models import CartItem, Product
from shop.selectors import cart_count
from shop.services import cart_add_product
from shop.testing import create_test_product, create_test_user, messages_of


def test_add_to_cart_adds_line_and_shows_cart(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """Adding a product puts it in the user's cart and shows the cart."""
    response = user_client.post(f"/cart/add/{product.pk}/", {"quantity": "2"}, follow=True)

    assert response.redirect_chain == [("/cart/", 302)]
    assert messages_of(response) == ['Added 2 x "Enamel Mug" to your cart.']
    assert CartItem.objects.get(cart__user=user, product=product).quantity == 2
    assert '<span class="cart-count">2</span>' in response.content.decode()


def test_adding_again_adds_to_the_same_line(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """A second add of the same product increases the line's quantity."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "1"})
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "3"})

    assert list(CartItem.objects.values_list("quantity", flat=True)) == [4]
    assert cart_count(user=user) == 4


def test_add_to_cart_with_bad_quantity_is_refused(user_client: Client, product: Product) -> None:
    """Zero, negative, huge and non-numeric quantities are refused with a message."""
    for quantity in ["0", "-1", "21", "abc", ""]:
        response = user_client.post(f"/cart/add/{product.pk}/", {"quantity": quantity}, follow=True)

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == ["Please choose a quantity between 1 and 20."]
    assert not CartItem.objects.exists()


def test_add_more_than_stock_is_refused(user_client: Client, product: Product) -> None:
    """The cart cannot hold more of a product than is in stock."""
    response = user_client.post(f"/cart/add/{product.pk}/", {"quantity": "6"}, follow=True)

    assert messages_of(response) == ['Sorry, only 5 of "Enamel Mug" left in stock.']
    assert not CartItem.objects.exists()


def test_add_unknown_or_inactive_product_is_404(user_client: Client, db: None) -> None:
    """Adding a product that does not exist or is not sold is a 404."""
    inactive = create_test_product(active=False)

    assert user_client.post("/cart/add/999999/", {"quantity": "1"}).status_code == 404
    assert user_client.post(f"/cart/add/{inactive.pk}/", {"quantity": "1"}).status_code == 404
    assert not CartItem.objects.exists()


def test_add_to_cart_by_get_is_405(user_client: Client, product: Product) -> None:
    """Only POST changes the cart."""
    assert user_client.get(f"/cart/add/{product.pk}/").status_code == 405


def test_anonymous_add_to_cart_goes_to_sign_in(client: Client, product: Product) -> None:
    """A signed-out visitor is sent to sign in, then back to the product page."""
    response = client.post(f"/cart/add/{product.pk}/", {"quantity": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/oidc/login/?next=/products/{product.slug}/"
    assert not CartItem.objects.exists()


def test_anonymous_cart_checkout_orders_go_to_sign_in(client: Client, db: None) -> None:
    """The cart, checkout and "My orders" need a signed-in user."""
    assert client.get("/cart/")["Location"] == "/oidc/login/?next=/cart/"
    assert client.post("/checkout/")["Location"] == "/oidc/login/?next=/cart/"
    assert client.get("/orders/")["Location"] == "/oidc/login/?next=/orders/"


def test_cart_page_lists_lines_and_total(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """The cart page shows each line, the total and the "Place order" button."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "2"})

    body = user_client.get("/cart/").content.decode()

    assert "Enamel Mug" in body
    assert '<td class="cart-total">€25.00</td>' in body
    assert "Place order" in body


def test_cart_update_sets_quantity_and_zero_removes(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """Updating a line sets its quantity; 0 removes it; bad input changes nothing."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "1"}, follow=True)

    user_client.post(f"/cart/update/{product.pk}/", {"quantity": "3"}, follow=True)
    assert cart_count(user=user) == 3

    response = user_client.post(f"/cart/update/{product.pk}/", {"quantity": "x"}, follow=True)
    assert messages_of(response) == ["Please choose a quantity between 0 and 20."]
    assert cart_count(user=user) == 3

    response = user_client.post(f"/cart/update/{product.pk}/", {"quantity": "0"}, follow=True)
    assert messages_of(response) == ['Removed "Enamel Mug" from your cart.']
    assert cart_count(user=user) == 0


def test_carts_are_per_user(user_client: Client, product: Product) -> None:
    """Another user's cart is not shown."""
    other = create_test_user(first_name="Bob")
    cart_add_product(user=other, product=product, quantity=1)

    response = user_client.get("/cart/")

    assert response.context["items"] == []
    assert "Your cart is empty." in response.content.decode()


def test_out_of_range_ids_are_404(user_client: Client, db: None) -> None:
    """Ids beyond the database's integer range are a 404, never a 500."""
    huge = "9" * 25

    assert user_client.post(f"/cart/add/{huge}/", {"quantity": "1"}).status_code == 404
    assert user_client.post(f"/cart/update/{huge}/", {"quantity": "1"}).status_code == 404
    assert user_client.get(f"/orders/{huge}/").status_code == 404
