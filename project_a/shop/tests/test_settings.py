import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from shop.conf import shop_settings
from shop.project_settings import shop_project_settings


def test_shop_a_names_its_cookies_and_database() -> None:
    """Shop A has its own cookies and, by default, its own SQLite file under VAR_DIR."""
    assert settings.SESSION_COOKIE_NAME == "shop_a_sessionid"
    assert settings.CSRF_COOKIE_NAME == "shop_a_csrftoken"
    assert settings.SESSION_COOKIE_SECURE is False
    assert settings.CSRF_TRUSTED_ORIGINS == ["http://localhost:8001"]
    assert settings.LOGIN_URL == "sso_client:login"
    assert settings.SSO_CLIENT == {
        "ISSUER": "http://localhost:8000/o",
        "CLIENT_ID": "shop-a-test-client",
        "CLIENT_SECRET": "shop-a-test-secret",
        "ACCOUNT_URL": "http://localhost:8000/account/profile/",
        "BASE_TEMPLATE": "shop/base.html",
    }
    assert Path(os.environ["VAR_DIR"]) / "static" / "shop_a" == settings.STATIC_ROOT


def test_database_defaults_to_shop_a_sqlite_with_contract_options(monkeypatch) -> None:
    """Without DATABASE_URL the database is <VAR_DIR>/shop_a.sqlite3 with WAL and IMMEDIATE."""

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOP_A_URL", "https://shop-a.example")
    values = shop_project_settings(
        project="shop_a",
        base_dir=Path(settings.BASE_DIR),
        public_url_env="SHOP_A_URL",
        default_public_url="http://localhost:8001",
        shop={"NAME": "Shop A"},
    )

    database = values["DATABASES"]["default"]
    assert database["NAME"] == f"{os.environ['VAR_DIR']}/shop_a.sqlite3"
    assert database["OPTIONS"] == {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://shop-a.example"]


def test_secret_key_is_required_unless_debug(monkeypatch) -> None:
    """Without SECRET_KEY the settings refuse to load, unless DEBUG is on."""

    kwargs = {
        "project": "shop_a",
        "base_dir": Path(settings.BASE_DIR),
        "public_url_env": "SHOP_A_URL",
        "default_public_url": "http://localhost:8001",
        "shop": {},
    }
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        shop_project_settings(**kwargs)
    monkeypatch.setenv("DEBUG", "true")
    assert shop_project_settings(**kwargs)["SECRET_KEY"] == "insecure-dev-only-shop_a"


def test_shop_settings_read_lazily_with_defaults() -> None:
    """shop_settings reads settings.SHOP on each access and falls back to the defaults."""
    assert shop_settings.NAME == "Shop A"
    assert shop_settings.CURRENCY == "EUR"
    with override_settings(SHOP={"NAME": "Other"}):
        assert shop_settings.NAME == "Other"
        assert shop_settings.ACCENT_COLOR == "#2563eb"
