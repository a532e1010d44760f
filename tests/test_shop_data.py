"""Each shop keeps its own catalog, carts and orders in its own database."""

from support.web import sign_in_at_shop


def add_first_product_to_cart(client, shop_url: str) -> str:
    """Add the first product of the catalog to the cart; return its name."""
    client.get(f"{shop_url}/")
    product_link = client.page().select_one("a[href*='/products/']")
    client.get(f"{shop_url}{product_link['href']}")
    name = client.page().select_one("h1").get_text(strip=True)
    client.submit({"quantity": "2"}, form="form[action*='/cart/add/']")
    return name


def test_order_placed_at_shop_a_is_not_seen_at_shop_b(stack, client, customer):
    """A customer orders at A; A lists the order, B's cart and orders stay empty."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    product = add_first_product_to_cart(client, stack.shop_a)
    cart = client.get(f"{stack.shop_a}/cart/")
    assert product in cart.text

    client.submit(form="form[action*='/checkout/']")
    orders_a = client.get(f"{stack.shop_a}/orders/")
    assert product in orders_a.text

    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    orders_b = client.get(f"{stack.shop_b}/orders/")
    cart_b = client.get(f"{stack.shop_b}/cart/")
    assert orders_b.url.startswith(f"{stack.shop_b}/orders/")
    assert product not in orders_b.text
    assert product not in cart_b.text


ORDER_COUNT = "from shop.models import Order; print(Order.objects.count())"
DATABASE_NAME = "from django.db import connection; print(connection.settings_dict['NAME'])"


def test_an_order_is_written_to_the_ordering_shops_database_only(stack, client, customer):
    """Placing an order at A adds a row to A's database and none to B's, a separate database."""
    orders_at_a = int(stack.shell("project_a", ORDER_COUNT))
    orders_at_b = int(stack.shell("project_b", ORDER_COUNT))
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    add_first_product_to_cart(client, stack.shop_a)

    client.submit(form="form[action*='/checkout/']")

    assert int(stack.shell("project_a", ORDER_COUNT)) == orders_at_a + 1
    assert int(stack.shell("project_b", ORDER_COUNT)) == orders_at_b
    assert stack.shell("project_a", DATABASE_NAME) != stack.shell("project_b", DATABASE_NAME)
