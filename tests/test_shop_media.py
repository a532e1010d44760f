"""Product images uploaded in a shop's admin are served by the shop, as `make run` runs it."""

import io
from urllib.parse import urljoin

import pytest
from PIL import Image
from support.web import WebClient

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "demo-admin-pass"


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def staff_client(shop: str) -> WebClient:
    """A member of `shop-admins` at the identity server, signed in to the shop's admin."""
    staff = WebClient()
    staff.get(f"{shop}/admin/shop/product/")
    if "/account/login/" in staff.last.url:
        staff.submit(
            {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, form="form[method=post]"
        )
    assert staff.last.url == f"{shop}/admin/shop/product/", staff.last.url
    return staff


@pytest.mark.parametrize("shop_name", ["shop_a", "shop_b"])
def test_a_product_image_uploaded_in_the_admin_is_served_by_the_shop(stack, shop_name):
    """Upload in the admin; the product page shows the image and the shop serves the file."""
    shop = getattr(stack, shop_name)
    image = png_bytes((30, 120, 200) if shop_name == "shop_a" else (200, 120, 30))
    staff = staff_client(shop)
    product_link = staff.page().select_one("#result_list tbody tr th a")
    change_page = staff.get(urljoin(staff.last.url, product_link["href"]))
    slug = staff.page(change_page).select_one("input[name=slug]")["value"]

    saved = staff.submit(form="form#product_form", files={"image": ("mug.png", image, "image/png")})

    assert "was changed successfully" in saved.text, saved.text[:3000]
    visitor = WebClient()
    visitor.get(f"{shop}/products/{slug}/")
    shown = visitor.page().select_one("img.product-image")
    assert shown is not None, "the product page shows the uploaded image"
    response = visitor.get(urljoin(visitor.last.url, shown["src"]))
    assert response.url.startswith(f"{shop}/media/products/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content == image
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
