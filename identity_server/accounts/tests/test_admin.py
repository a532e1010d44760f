"""The user admin: deactivating from the change form ends the user's sessions."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.models import AuditEvent
from oidc.models import IdPSession

User = get_user_model()


def profile_form_data(user) -> dict[str, str]:
    """The change form's fields as the admin page posts them, "active" unticked."""
    fields = ["email", "given_name", "family_name", "nickname", "phone_number", "locale"]
    return {name: getattr(user, name) for name in fields}


def test_unticking_active_in_the_change_form_deactivates_through_the_service(
    admin_client, make_user
):
    """Saving the form with "active" off ends the open IdP sessions and audits it."""
    alice = make_user()
    session = IdPSession.objects.create(sid="sid-1", user=alice, auth_time=timezone.now())
    url = f"/admin/accounts/user/{alice.pk}/change/"
    data = profile_form_data(alice)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.refresh_from_db()
    session.refresh_from_db()
    assert alice.is_active is False
    assert session.ended_at is not None
    deactivations = AuditEvent.objects.filter(kind=AuditEvent.Kind.DEACTIVATED, subject_user=alice)
    assert deactivations.count() == 1


def test_saving_the_form_without_touching_active_ends_no_session(admin_client, make_user):
    """An ordinary edit leaves the user's sessions alone."""
    alice = make_user()
    session = IdPSession.objects.create(sid="sid-2", user=alice, auth_time=timezone.now())
    url = f"/admin/accounts/user/{alice.pk}/change/"
    data = profile_form_data(alice) | {"is_active": "on", "nickname": "Al"}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    session.refresh_from_db()
    assert session.ended_at is None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.DEACTIVATED).exists()
