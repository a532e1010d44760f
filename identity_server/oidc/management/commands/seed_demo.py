"""Create the demo users and the two shop clients (idempotent: run it as often as you like).

A demo account is created only when missing and never changed afterwards: a password its
user (or an admin) changed stays changed. Demo accounts have published passwords, so they
are created only where ``settings.SEED_DEMO_USERS`` is on (a dev stack, or DEBUG).
"""

import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc.constants import SCOPE_USERS_SYNC
from oidc.services.clients import client_ensure

User = get_user_model()

# docs/contract.md, "Demo data".
DEMO_USERS = [
    {
        "email": "alice@example.com",
        "password": "demo-alice-pass",
        "given_name": "Alice",
        "family_name": "Liddell",
        "superuser": False,
        "groups": [],
    },
    {
        "email": "admin@example.com",
        "password": "demo-admin-pass",
        "given_name": "Admin",
        "family_name": "",
        "superuser": True,
        "groups": ["shop-admins"],
    },
]
SHOPS = [
    ("SHOP_A", "Shop A", "http://localhost:8001"),
    ("SHOP_B", "Shop B", "http://localhost:8002"),
]


class Command(BaseCommand):
    """Seed the demo users and register the shops from SHOP_*_CLIENT_ID/SECRET and SHOP_*_URL."""

    help = "Create demo users and register the shop clients (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed missing demo users (dev stacks only), then each shop in the environment."""
        if settings.SEED_DEMO_USERS:
            for spec in DEMO_USERS:
                self._user_create_if_missing(spec)
        else:
            self.stdout.write(
                "Skipped the demo users: their passwords are published (set SEED_DEMO_USERS=1 "
                "on a dev stack to create them)."
            )
        for prefix, name, default_url in SHOPS:
            self._shop_ensure(prefix, name, default_url)

    def _user_create_if_missing(self, spec: dict[str, Any]) -> None:
        """Create a demo user unless the address has an account, which is left as it is."""
        email = User.normalize_email_address(spec["email"])
        with transaction.atomic():
            if User.objects.filter(email=email).exists():
                self.stdout.write(f"Kept user {email} (existing accounts are never reset)")
                return
            user = User.objects.create_user(
                email=email,
                password=spec["password"],
                given_name=spec["given_name"],
                family_name=spec["family_name"],
                email_verified=True,
                is_staff=spec["superuser"],
                is_superuser=spec["superuser"],
            )
            for group_name in spec["groups"]:
                group, _ = Group.objects.get_or_create(name=group_name)
                user.groups.add(group)
            audit_event_record(
                kind=AuditEvent.Kind.REGISTERED, subject_user=user, data={"demo": True}
            )
        self.stdout.write(f"Created user {email}")

    def _shop_ensure(self, prefix: str, name: str, default_url: str) -> None:
        client_id = os.environ.get(f"{prefix}_CLIENT_ID", "")
        client_secret = os.environ.get(f"{prefix}_CLIENT_SECRET", "")
        if not client_id or not client_secret:
            self.stdout.write(
                f"Skipped {name}: set {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET to register it."
            )
            return
        url = os.environ.get(f"{prefix}_URL", default_url).rstrip("/")
        try:
            _application, created = client_ensure(
                client_id=client_id,
                client_secret=client_secret,
                name=name,
                redirect_uris=[f"{url}/oidc/callback/"],
                post_logout_redirect_uris=[f"{url}/"],
                backchannel_logout_uri=f"{url}/oidc/backchannel-logout/",
                events_uri=f"{url}/oidc/events/",
                first_party=True,
                # The reconcile API (sso_sync), besides what an admin granted.
                service_scopes=[SCOPE_USERS_SYNC],
            )
        except ValidationError as error:
            raise CommandError(f"{name}: {'; '.join(error.messages)}") from None
        self.stdout.write(f"{'Registered' if created else 'Kept'} client {client_id} ({url})")
