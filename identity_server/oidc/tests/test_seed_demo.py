"""seed_demo: demo accounts only where asked for, created once, never reset."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from audit.models import AuditEvent
from oidc.management.commands.seed_demo import DEMO_USERS

User = get_user_model()
pytestmark = pytest.mark.django_db

CHANGED_PASSWORD = "no-longer-the-published-one"


def seed() -> str:
    """Run seed_demo (no shop in the environment) and return its output."""
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def shops_unset(monkeypatch) -> None:
    for prefix in ("SHOP_A", "SHOP_B"):
        monkeypatch.delenv(f"{prefix}_CLIENT_ID", raising=False)


def test_a_changed_demo_password_survives_a_second_seed(settings, shops_unset):
    """The admin changed demo-admin-pass: the next seed keeps the new one."""
    settings.SEED_DEMO_USERS = True
    seed()
    admin = User.objects.get(email="admin@example.com")
    admin.set_password(CHANGED_PASSWORD)
    admin.save()

    output = seed()

    admin.refresh_from_db()
    assert admin.check_password(CHANGED_PASSWORD)
    assert not admin.check_password("demo-admin-pass")
    assert "Kept user admin@example.com" in output


def test_a_second_seed_changes_nothing_an_admin_changed(settings, shops_unset):
    """Rights, name and activation an admin changed are left alone."""
    settings.SEED_DEMO_USERS = True
    seed()
    User.objects.filter(email="admin@example.com").update(is_superuser=False, is_staff=False)
    User.objects.filter(email="alice@example.com").update(given_name="Ally", is_active=False)

    seed()

    admin = User.objects.get(email="admin@example.com")
    alice = User.objects.get(email="alice@example.com")
    assert (admin.is_staff, admin.is_superuser) == (False, False)
    assert (alice.given_name, alice.is_active) == ("Ally", False)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REGISTERED).count() == 2


def test_without_the_setting_no_demo_account_is_created(settings, shops_unset):
    """Production (DEBUG off, SEED_DEMO_USERS unset) seeds no published password."""
    settings.SEED_DEMO_USERS = False

    output = seed()

    assert not User.objects.exists()
    assert "Skipped the demo users" in output


def test_demo_passwords_are_at_least_twelve_characters():
    """The published demo passwords meet the length the policy asks of everyone."""
    assert all(len(spec["password"]) >= 12 for spec in DEMO_USERS)
