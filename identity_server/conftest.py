"""Fixtures shared by the identity server's unit tests."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from accounts.tests.staff import admin_client_for
from oidc import constants
from oidc.services.clients import client_register
from oidc.tests.flow import SHOP_A_CALLBACK, SHOP_B_CALLBACK

User = get_user_model()

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (test users only)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path: Path) -> None:
    """Serve static files without a manifest and store uploads in a temporary folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # One PBKDF2 round instead of 1.5 million: the tests sign in a lot.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "oidc.hashers.ClientSecretHasher",
    ]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Start each test with an empty cache: the sign-in throttle counts failures there."""
    cache.clear()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    """Return a factory of users with a known password."""

    def create_test_user(
        email: str = "alice@example.com", password: str = PASSWORD, **fields
    ) -> User:
        fields.setdefault("given_name", "Alice")
        fields.setdefault("family_name", "Liddell")
        return User.objects.create_user(email=email, password=password, **fields)

    return create_test_user


@pytest.fixture
def user(make_user) -> User:
    """Alice, an active customer with a verified email."""
    return make_user(email_verified=True)


@pytest.fixture
def browser(user) -> Client:
    """A browser signed in as Alice through the sign-in form (so an IdP session exists)."""
    browser = Client()
    response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


@pytest.fixture
def shop_a(db):
    """Shop A's client: first-party, confidential; returns (application, plain secret)."""
    return client_register(
        name="Shop A",
        redirect_uris=[SHOP_A_CALLBACK],
        post_logout_redirect_uris=["http://localhost:8001/"],
        backchannel_logout_uri="http://localhost:8001/oidc/backchannel-logout/",
        first_party=True,
        public=False,
    )


@pytest.fixture
def shop_b(db):
    """Shop B's client, registered like shop A."""
    return client_register(
        name="Shop B",
        redirect_uris=[SHOP_B_CALLBACK],
        post_logout_redirect_uris=["http://localhost:8002/"],
        backchannel_logout_uri="http://localhost:8002/oidc/backchannel-logout/",
        first_party=True,
        public=False,
    )


@pytest.fixture
def service_shop(db):
    """Shop A's client with service scope users:read (its migration tool); (application, secret)."""
    return client_register(
        name="Shop A",
        redirect_uris=[SHOP_A_CALLBACK],
        post_logout_redirect_uris=["http://localhost:8001/"],
        first_party=True,
        public=False,
        service_scopes=[constants.SCOPE_USERS_READ],
    )


@pytest.fixture
def third_party(db):
    """A third-party client, which must ask for consent."""
    return client_register(
        name="Partner App",
        redirect_uris=["https://partner.example.net/callback"],
        post_logout_redirect_uris=[],
        first_party=False,
        public=False,
    )


@pytest.fixture
def root(db):
    """A superuser."""
    return User.objects.create_superuser(email="root@example.com", password=PASSWORD)


@pytest.fixture
def admin_client(root) -> Client:
    """The superuser in the admin, signed in with two factors (the admin site asks for them)."""
    return admin_client_for(root)
