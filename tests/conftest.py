"""Session fixtures: one running stack (identity server, shop A, shop B) for all e2e tests."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator

import pytest
from support.customers import Customer, customer_create_code, customer_new
from support.stack import REPO, PostgresDatabases, Stack, stack_create
from support.web import WebClient

OUTPUT = REPO / "test-output" / "e2e"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The three servers, on PostgreSQL when TEST_POSTGRES_URL is set, else on SQLite files."""
    server_url = os.environ.get("TEST_POSTGRES_URL")
    databases = PostgresDatabases(server_url) if server_url else None
    stack = stack_create(
        var_dir=tmp_path_factory.mktemp("var"), log_dir=OUTPUT / "logs", databases=databases
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        if databases:
            databases.drop_all()


@pytest.fixture
def make_customer(stack: Stack) -> Callable[..., Customer]:
    """Create a customer account at the identity server (as an admin would) and return it."""

    def make(given_name: str = "Grace", family_name: str = "Hopper") -> Customer:
        customer = customer_new(given_name, family_name)
        stack.shell("identity_server", customer_create_code(customer))
        return customer

    return make


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer()


@pytest.fixture
def client() -> WebClient:
    return WebClient()


def shadow_subs(stack: Stack, project: str, email: str) -> list[str]:
    """Return the IdP subjects linked to the shop's shadow users with this email."""
    out = stack.shell(
        project,
        "import json; from sso_client.models import IdentityLink; "
        f"print(json.dumps(list(IdentityLink.objects.filter(user__email={email!r})"
        ".values_list('sub', flat=True))))",
    )
    return json.loads(out.splitlines()[-1])


def idp_sub(stack: Stack, email: str) -> str:
    out = stack.shell(
        "identity_server",
        f"from accounts.models import User; print(User.objects.get(email={email!r}).sub)",
    )
    return out.splitlines()[-1]
