"""Shop A's settings, as the test environment (pytest.ini) makes them."""

import importlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

import config.settings


def reload_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> object:
    """Return config.settings run again with ``env`` added to the environment."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(config.settings)


@pytest.fixture(autouse=True)
def restore_settings_module(monkeypatch: pytest.MonkeyPatch):
    """Run config.settings again after the test, in the usual environment."""
    yield
    monkeypatch.undo()
    importlib.reload(config.settings)


def test_shop_a_names_its_cookies_database_and_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shop A has its own cookies, SQLite file, cache prefix and folders under VAR_DIR."""
    var_dir = Path(os.environ["VAR_DIR"])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME) == (
        "shop_a_sessionid",
        "shop_a_csrftoken",
    )
    assert settings.SESSION_COOKIE_SECURE is False
    assert settings.CSRF_TRUSTED_ORIGINS == ["http://localhost:8001"]
    # Read again: the test run put its own database in the loaded settings.
    database = reload_settings(monkeypatch).DATABASES["default"]
    assert database["NAME"] == str(var_dir / "shop_a.sqlite3")
    assert settings.CACHES["default"]["KEY_PREFIX"] == "shop_a"
    assert var_dir / "static" / "shop_a" == settings.STATIC_ROOT
    assert var_dir / "media" / "shop_a" == settings.MEDIA_ROOT
    assert settings.TEMPLATES[0]["DIRS"] == [Path(settings.BASE_DIR) / "templates"]


def test_shop_a_configures_what_it_relies_on_from_sso_client() -> None:
    """The shop asks for the groups scope and names its staff groups (sso_client maps none)."""
    assert settings.LOGIN_URL == "sso_client:login"
    assert settings.AUTHENTICATION_BACKENDS == ["sso_client.backends.SSOBackend"]
    assert settings.SSO_CLIENT == {
        "ISSUER": "http://localhost:8000/o",
        "CLIENT_ID": "shop-a-test-client",
        "CLIENT_SECRET": "shop-a-test-secret",
        "SCOPES": "openid email profile groups",
        "STAFF_GROUPS": ["shop-staff", "shop-admins"],
        "SUPERUSER_GROUPS": ["shop-admins"],
        "ACCOUNT_URL": "http://localhost:8000/account/profile/",
        "BASE_TEMPLATE": "shop/base.html",
        "SESSION_RECHECK_SECONDS": 300,
    }


def test_the_cache_is_shared_by_every_process() -> None:
    """Without CACHE_URL the cache is a database table, never one process's memory."""
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_an_https_public_url_makes_the_cookies_secure(monkeypatch: pytest.MonkeyPatch) -> None:
    reloaded = reload_settings(monkeypatch, SHOP_A_URL="https://shop-a.example/")

    assert reloaded.SHOP_URL == "https://shop-a.example"
    assert reloaded.SESSION_COOKIE_SECURE is True
    assert reloaded.CSRF_COOKIE_SECURE is True
    assert reloaded.CSRF_TRUSTED_ORIGINS == ["https://shop-a.example"]


def test_the_settings_refuse_to_load_without_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SECRET_KEY and DEBUG off: the shop does not start; DEBUG gives a dev-only key."""
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        importlib.reload(config.settings)

    assert reload_settings(monkeypatch, DEBUG="true").SECRET_KEY == "insecure-debug-only-shop_a"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOP_A_URL", "localhost:8001", "is not a public URL"),
        ("DATABASE_URL", "mysqll://db/shop", "DATABASE_URL has the unknown scheme"),
        ("EMAIL_URL", "smtps-ish://mail", "Invalid email schema"),
        ("CACHE_URL", "memcache-ish://x", "Invalid cache schema"),
    ],
)
def test_a_bad_url_stops_the_shop_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        reload_settings(monkeypatch, **{name: value})


def test_filemail_writes_where_the_identity_server_would(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """filemail:///abs is an absolute folder at the shops too (it used to lose its slash)."""
    reloaded = reload_settings(monkeypatch, EMAIL_URL=f"filemail://{tmp_path}/mail")

    assert {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": f"{tmp_path}/mail"},
        }
    } == reloaded.MAILERS
