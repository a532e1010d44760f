"""Audit events: written by the services, read-only everywhere."""

import pytest
from django.contrib.auth import get_user_model

from accounts.services import user_deactivate
from accounts.tests.staff import admin_client_for
from audit.models import AuditEvent
from oidc.models import IdPSession

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_deactivation_ends_sessions_and_is_audited(browser, user):
    """Deactivating a user ends their IdP sessions, deletes the session and records it."""
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")

    user_deactivate(user=user, actor=admin)

    user.refresh_from_db()
    event = AuditEvent.objects.get(kind="deactivated")
    assert user.is_active is False
    assert event.actor == admin and event.subject_user == user
    assert event.data == {"sessions_ended": 1}
    assert not IdPSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert browser.get("/account/profile/").status_code == 302


def test_admin_deactivate_action(user, client):
    """The admin action deactivates through the service."""
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")
    client = admin_client_for(admin)

    client.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [user.pk]},
    )

    user.refresh_from_db()
    assert user.is_active is False
    assert AuditEvent.objects.filter(kind="deactivated", subject_user=user).count() == 1


def test_events_cannot_be_changed(user):
    """An event is append-only: saving it again raises."""
    event = AuditEvent.objects.create(kind=AuditEvent.Kind.SIGN_IN, subject_user=user)
    event.data = {"forged": True}

    with pytest.raises(ValueError, match="append-only"):
        event.save()

    event.refresh_from_db()
    assert event.data == {}


def test_admin_is_read_only(client, user):
    """Superusers can read the log but not add, change or delete."""
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")
    client = admin_client_for(admin)
    event = AuditEvent.objects.create(kind=AuditEvent.Kind.SIGN_IN, subject_user=user)

    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
