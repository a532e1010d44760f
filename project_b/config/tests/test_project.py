"""Shop B as a project: A's settings and URLs with B's own identity, pages and routes."""

import importlib
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import resolve

import config.settings
import shop_a_config.settings
from shop.conf import shop_settings
from shop.models import Order, Product
from shop.views import ProductDetailView


def setting_values(module: object) -> dict[str, Any]:
    """Return the settings (upper-case names) a settings module defines."""
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


def mentions(value: Any, needles: tuple[str, ...]) -> bool:
    return any(needle in repr(value) for needle in needles)


def test_no_setting_of_b_holds_a_value_of_shop_a() -> None:
    """Every value A derives from being A (name, URL, files, cookies, keys) is B's own in B.

    B starts from A's settings: a setting A adds later that names A would otherwise reach B
    unnoticed. Only the template folders name project_a on purpose (A's error pages).
    """
    a_identity = (
        "shop_a",
        "Shop A",
        "localhost:8001",
        "SHOP_A",
        str(shop_a_config.settings.BASE_DIR),
    )
    leaked = {
        name
        for name, value in setting_values(config.settings).items()
        if name != "TEMPLATES" and mentions(value, a_identity)
    }

    assert leaked == set()


def test_b_changes_only_its_identity_and_adds_its_app() -> None:
    """Apart from its identity, B's settings are A's: one shop, one way to run it."""
    identity = {
        "BASE_DIR",
        "SHOP_URL",
        "INSTALLED_APPS",
        "TEMPLATES",
        "DATABASES",
        "CACHES",
        "SHOP",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "CSRF_TRUSTED_ORIGINS",
        "STATIC_ROOT",
        "MEDIA_ROOT",
    }
    a, b = setting_values(shop_a_config.settings), setting_values(config.settings)

    assert {name for name in a.keys() | b.keys() if a.get(name) != b.get(name)} == identity
    assert b["INSTALLED_APPS"] == [*a["INSTALLED_APPS"], "b_extras"]
    assert b["TEMPLATES"][0]["DIRS"] == [
        Path(b["BASE_DIR"]) / "templates",
        Path(a["BASE_DIR"]) / "templates",
    ]


@pytest.fixture
def reload_settings(monkeypatch: pytest.MonkeyPatch):
    """Return a function that runs A's then B's settings again with more environment.

    Both run again once the test is over, in the usual environment.
    """

    def reload(**env: str) -> object:
        for name, value in env.items():
            if value:
                monkeypatch.setenv(name, value)
            else:
                monkeypatch.delenv(name, raising=False)
        importlib.reload(shop_a_config.settings)
        return importlib.reload(config.settings)

    yield reload
    monkeypatch.undo()
    importlib.reload(shop_a_config.settings)
    importlib.reload(config.settings)


def test_in_debug_without_a_secret_key_b_has_its_own_dev_key(reload_settings) -> None:
    """Two shops in DEBUG on one host never accept each other's signed values."""
    reloaded = reload_settings(DEBUG="true", SECRET_KEY="")

    assert reloaded.SECRET_KEY == "insecure-debug-only-shop_b"
    assert shop_a_config.settings.SECRET_KEY == "insecure-debug-only-shop_a"


def test_shop_b_has_its_own_cookies_database_cache_and_folders(reload_settings) -> None:
    var_dir = Path(os.environ["VAR_DIR"])
    assert (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME) == (
        "shop_b_sessionid",
        "shop_b_csrftoken",
    )
    assert settings.CSRF_TRUSTED_ORIGINS == ["http://localhost:8002"]
    assert settings.SSO_CLIENT["CLIENT_ID"] == "shop-b-test-client"
    assert settings.CACHES["default"]["KEY_PREFIX"] == "shop_b"
    assert var_dir / "static" / "shop_b" == settings.STATIC_ROOT
    assert var_dir / "media" / "shop_b" == settings.MEDIA_ROOT

    # Read again: the test run put its own database in the loaded settings.
    database = reload_settings(DATABASE_URL="").DATABASES["default"]
    assert database["NAME"] == str(var_dir / "shop_b.sqlite3")


def test_shop_b_has_its_own_name_and_look(client: Client, db: None) -> None:
    """B is named "Shop B", has its own accent colour and loads its own stylesheet."""
    body = client.get("/").content.decode()

    assert shop_settings.NAME == "Shop B"
    assert '<a class="brand" href="/">Shop B</a>' in body
    assert "--accent: #b45309;" in body
    assert "/static/b_extras/shop_b.css" in body
    assert "Small batches, big ideas." in body
    assert finders.find("b_extras/shop_b.css") is not None


def test_the_product_page_is_the_shops_own_view() -> None:
    """B adds its wishlist button through an include point, not by routing the page elsewhere."""
    assert resolve("/products/enamel-mug/").func.view_class is ProductDetailView


def test_the_error_pages_are_a_s_in_b_s_layout(client: Client, db: None) -> None:
    """B finds A's error pages after its own templates; they show B's name."""
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing at this address." in body
    assert '<a class="brand" href="/">Shop B</a>' in body


def test_shop_b_serves_its_own_product_images(client: Client, tmp_path: Path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    response = client.get("/media/b.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_the_shop_runs_unchanged_in_b(
    user_client: Client, user: AbstractBaseUser, product: Product
) -> None:
    """B's URLs reach the shop's views: an order placed at B is written to B's database."""
    user_client.post(f"/cart/add/{product.pk}/", {"quantity": "2"})

    assert user_client.post("/checkout/").status_code == 302
    assert Order.objects.get(user=user).lines.get().quantity == 2


def test_shop_b_healthz(client: Client, db: None) -> None:
    """B answers the readiness probe."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
