"""Factories and pytest fixtures for tests of the shop and of projects built on it.

A project's root ``conftest.py`` loads them with ``pytest_plugins = ["shop.testing"]``.
"""

import functools
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client

from shop.models import Product
from sso_client.testing import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeIdP, rsa_private_key

_sequence = count(1)


def create_test_user(
    *, first_name: str = "Alice", last_name: str = "Liddell", **fields: Any
) -> AbstractBaseUser:
    """Create a shadow-like local user: username is an opaque sub, no usable password."""
    n = next(_sequence)
    fields.setdefault("username", f"sub-{n:08d}")
    fields.setdefault("email", f"user{n}@example.com")
    user = get_user_model()(first_name=first_name, last_name=last_name, **fields)
    user.set_unusable_password()
    user.save()
    return user


def create_test_product(
    *, name: str | None = None, price: str = "10.00", stock: int = 5, **fields: Any
) -> Product:
    """Create a product on sale."""
    n = next(_sequence)
    name = name or f"Product {n}"
    fields.setdefault("slug", f"product-{n}")
    return Product.objects.create(name=name, price=Decimal(price), stock=stock, **fields)


def messages_of(response: HttpResponse) -> list[str]:
    """Return the flash messages a test client's response rendered, in order."""
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def user(db: None) -> AbstractBaseUser:
    return create_test_user()


@pytest.fixture
def product(db: None) -> Product:
    return create_test_product(name="Enamel Mug", price="12.50", stock=5)


@pytest.fixture
def user_client(client: Client, user: AbstractBaseUser) -> Client:
    """A test client signed in as ``user``."""
    client.force_login(user)
    return client


@functools.cache
def _provider_key() -> rsa.RSAPrivateKey:
    return rsa_private_key()


@pytest.fixture
def fake_idp(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeIdP:
    """sso_client's fake identity provider as this shop's, its ID tokens carrying the claims.

    SSO_CLIENT names it, and the caches are local memory (no SQL, as Redis in production).
    """
    settings.SSO_CLIENT = {
        **settings.SSO_CLIENT,
        "ISSUER": ISSUER,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].clear()
    fake = FakeIdP(key=_provider_key())
    fake.claims_in_id_token = True
    return fake.install(monkeypatch)
