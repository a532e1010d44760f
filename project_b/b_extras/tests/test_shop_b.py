import os

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.staticfiles import finders
from django.test import Client

from shop.conf import shop_settings
from shop.models import Order, Product


def test_shop_b_has_its_own_name_and_look(client: Client, db: None) -> None:
    """B is named "Shop B", has its own accent colour and loads its own stylesheet."""
    body = client.get("/").content.decode()

    assert shop_settings.NAME == "Shop B"
    assert '<a class="brand" href="/">Shop B</a>' in body
    assert "--accent: #b45309;" in body
    assert "/static/b_extras/shop_b.css" in body
    assert "Small batches, big ideas." in body
    assert finders.find("b_extras/shop_b.css") is not None


def test_shop_b_has_its_own_cookies_and_database() -> None:
    """B's cookies and default SQLite file are not A's."""
    assert settings.SESSION_COOKIE_NAME == "shop_b_sessionid"
    assert settings.CSRF_COOKIE_NAME == "shop_b_csrftoken"
    assert settings.CSRF_TRUSTED_ORIGINS == ["http://localhost:8002"]
    assert settings.SSO_CLIENT["CLIENT_ID"] == "shop-b-test-client"
    assert "b_extras" in settings.INSTALLED_APPS


def test_shop_b_default_database_is_shop_b_sqlite(monkeypatch) -> None:
    """Without DATABASE_URL, B uses <VAR_DIR>/shop_b.sqlite3, never A's file."""
    import importlib

    import config.settings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    reloaded = importlib.reload(config.settings)

    assert reloaded.DATABASES["default"]["NAME"] == f"{os.environ['VAR_DIR']}/shop_b.sqlite3"


def test_shop_checkout_works_in_b(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """The shared shop runs unchanged in B: add to cart, place the order, stock goes down."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "2"})

    response = user_client.post("/checkout/", follow=True)

    order = Order.objects.get(user=user)
    assert response.redirect_chain == [(f"/orders/{order.pk}/", 302)]
    product.refresh_from_db()
    assert product.stock == 3


def test_shop_b_healthz(client: Client, db: None) -> None:
    """B answers the readiness probe."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
