"""Fixtures: RSA keys and a fake identity provider behind `requests` (no network)."""

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import caches

# The fake provider lives in sso_client.testing, for the projects' tests too.
from sso_client.testing import (  # noqa: F401 - imported from here by the tests
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    FakeIdP,
    alice_claims,
    base_claims,
    callback_query,
    public_jwk,
    rsa_private_key,
    sign,
)


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa_private_key()


@pytest.fixture
def idp(signing_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> FakeIdP:
    return FakeIdP(key=signing_key).install(monkeypatch)


def assert_error_page(response: Any, status: int, text: str) -> None:
    """The sign-in failed with sso_client's error page, and nobody is signed in."""
    assert response.status_code == status
    assert response.templates[0].name == "sso_client/error.html"
    content = response.content.decode()
    assert text in content
    assert "Try again" in content
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.fixture
def signed_in_client(client: Any, idp: FakeIdP, db: None) -> Any:
    """A test client signed in through the fake provider (IdP session `idp-session-1`)."""
    response = client.get("/oidc/callback/", callback_query(client, idp))
    assert response.status_code == 302
    return client
