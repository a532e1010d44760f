"""Fixtures of the oidc tests: the fuzzer's world of clients and live tokens."""

import pytest

from oidc.services.clients import client_register
from oidc.tests.fuzz_values import (
    PUBLIC_CALLBACK,
    PUBLIC_ORIGIN,
)
from oidc.tests.fuzz_world import (
    Filler,
    World,
)


@pytest.fixture
def public_app(db):
    """A first-party browser app (a public client)."""
    application, _ = client_register(
        name="Fuzz SPA",
        redirect_uris=[PUBLIC_CALLBACK],
        post_logout_redirect_uris=[f"{PUBLIC_ORIGIN}/"],
        first_party=True,
        public=True,
        allowed_origins=[PUBLIC_ORIGIN],
    )
    return application


@pytest.fixture
def world(browser, user, shop_a, public_app) -> World:
    """Alice signed in; shop A (confidential) and a browser app (public) registered."""
    application, secret = shop_a
    world = World(
        browser=browser,
        confidential_id=application.client_id,
        secret=secret,
        public_id=public_app.client_id,
        sub=str(user.sub),
    )
    world.id_token = Filler(world).tokens()["id_token"]
    browser.raise_request_exception = False
    return world
