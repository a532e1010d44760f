"""Customer accounts the tests create at the identity server, as an admin would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Customer:
    email: str
    password: str
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def customer_new(given_name: str = "Grace", family_name: str = "Hopper") -> Customer:
    """Return a customer with a unique email and a random password (not created yet)."""
    return Customer(
        email=f"{given_name.lower()}.{secrets.token_hex(4)}@example.com",
        password=secrets.token_urlsafe(12),
        given_name=given_name,
        family_name=family_name,
    )


def customer_create_code(customer: Customer) -> str:
    """Return the identity server shell code that creates ``customer``, email verified."""
    return (
        "from accounts.models import User; "
        f"User.objects.create_user(email={customer.email!r}, password={customer.password!r}, "
        f"given_name={customer.given_name!r}, family_name={customer.family_name!r}, "
        "email_verified=True)"
    )
