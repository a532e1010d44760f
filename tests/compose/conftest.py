"""Fixtures of the compose smoke tests: the running stack, visitors, customer accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from .stack import ComposeStack, SmokeClient


@pytest.fixture(scope="session")
def stack() -> ComposeStack:
    return ComposeStack.from_environ()


@dataclass(frozen=True)
class Customer:
    email: str
    password: str
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@pytest.fixture
def customer(stack: ComposeStack) -> Customer:
    """A customer account created at the identity server, as an admin would."""
    customer = Customer(
        email=f"smoke.{secrets.token_hex(4)}@example.com",
        password=secrets.token_urlsafe(12),
        given_name="Grace",
        family_name="Hopper",
    )
    stack.shell(
        "from accounts.models import User; "
        f"User.objects.create_user(email={customer.email!r}, password={customer.password!r}, "
        f"given_name={customer.given_name!r}, family_name={customer.family_name!r}, "
        "email_verified=True)"
    )
    return customer


@pytest.fixture
def client(stack: ComposeStack) -> SmokeClient:
    return SmokeClient(stack)
