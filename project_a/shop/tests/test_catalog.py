from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from shop.models import Category, Product
from shop.testing import create_test_product


def test_catalog_lists_active_products_only(client: Client, db: None) -> None:
    """The catalog shows products on sale and hides inactive ones."""
    create_test_product(name="Enamel Mug", price="12.50")
    create_test_product(name="Retired Kettle", active=False)

    response = client.get("/")

    assert response.status_code == 200
    assert [p.name for p in response.context["products"]] == ["Enamel Mug"]
    assert b"Enamel Mug" in response.content
    assert "€12.50" in response.content.decode()
    assert b"Retired Kettle" not in response.content


def test_catalog_filters_by_category(client: Client, db: None) -> None:
    """?category=<slug> shows that category's products only."""
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen")
    create_test_product(name="Enamel Mug", category=kitchen)
    create_test_product(name="Wool Throw")

    response = client.get("/?category=kitchen")

    assert [p.name for p in response.context["products"]] == ["Enamel Mug"]


def test_product_detail_shows_product_and_add_to_cart_form(
    client: Client, product: Product
) -> None:
    """A product page shows name, price, stock and the add-to-cart form."""
    response = client.get(f"/products/{product.slug}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Enamel Mug" in body
    assert "€12.50" in body
    assert "5 in stock" in body
    assert reverse("shop:cart_add", args=[product.pk]) in body
    assert 'name="quantity"' in body


def test_product_detail_of_out_of_stock_product_has_no_add_to_cart(
    client: Client, db: None
) -> None:
    """An out-of-stock product says so and offers no add-to-cart button."""
    product = create_test_product(name="Brass Pencil", stock=0)

    body = client.get(product.get_absolute_url()).content.decode()

    assert "Out of stock" in body
    assert "Add to cart" not in body


def test_unknown_or_inactive_product_is_404(client: Client, db: None) -> None:
    """Unknown slugs and inactive products are a 404 with the shop's own page."""
    inactive = create_test_product(active=False)

    assert client.get("/products/no-such-thing/").status_code == 404
    response = client.get(inactive.get_absolute_url())
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_catalog_pages_keep_the_category(client: Client, db: None) -> None:
    """The "Next" link of a filtered catalog stays in the category."""
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen")
    create_test_product(name="Enamel Mug", category=kitchen)
    create_test_product(name="Olive Wood Spoon", category=kitchen)

    with override_settings(SHOP={**settings.SHOP, "PRODUCTS_PER_PAGE": 1}):
        body = client.get("/?category=kitchen").content.decode()

    assert '<a href="?category=kitchen&amp;page=2">Next</a>' in body
    assert "Page 1 of 2" in body


def test_catalog_of_several_pages_counts_and_pages_as_before(client: Client, db: None) -> None:
    """A catalog longer than a page is counted (COUNT) and split into pages."""
    for name in ["A", "B", "C"]:
        create_test_product(name=f"Product {name}")

    with override_settings(SHOP={**settings.SHOP, "PRODUCTS_PER_PAGE": 2}):
        first, second = client.get("/"), client.get("/?page=2")

    assert [p.name for p in first.context["products"]] == ["Product A", "Product B"]
    assert [p.name for p in second.context["products"]] == ["Product C"]
    assert first.context["paginator"].num_pages == 2
    assert "Page 2 of 2" in second.content.decode()


def test_catalog_of_one_page_is_read_without_a_count(
    client: Client, db: None, django_assert_num_queries
) -> None:
    """When the catalog fits its first page, the page's read counts it: no COUNT(*)."""
    for name in ["A", "B"]:
        create_test_product(name=f"Product {name}")

    two_per_page = override_settings(SHOP={**settings.SHOP, "PRODUCTS_PER_PAGE": 2})
    with two_per_page, django_assert_num_queries(2) as queries:  # products, categories
        response = client.get("/")

    assert [p.name for p in response.context["products"]] == ["Product A", "Product B"]
    assert not response.context["is_paginated"]
    assert not any("COUNT(" in query["sql"] for query in queries.captured_queries)
