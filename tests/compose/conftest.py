"""Fixtures of the compose smoke tests: the running stack, visitors, customer accounts."""

from __future__ import annotations

import pytest
from support.customers import Customer, customer_create_code, customer_new

from .stack import ComposeStack, SmokeClient


@pytest.fixture(scope="session")
def stack() -> ComposeStack:
    return ComposeStack.from_environ()


@pytest.fixture
def customer(stack: ComposeStack) -> Customer:
    """A customer account created at the identity server, as an admin would."""
    customer = customer_new()
    stack.shell(customer_create_code(customer))
    return customer


@pytest.fixture
def client(stack: ComposeStack) -> SmokeClient:
    return SmokeClient(stack)
