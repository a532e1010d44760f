"""purge_expired keeps the outbox small: old delivered and cancelled rows go, failed stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import user_deactivate
from events.models import Delivery, Event
from oidc.services.purge import purge_expired

pytestmark = pytest.mark.django_db


def test_old_delivered_and_cancelled_deliveries_and_their_events_are_purged(
    knows_alice, user, make_user
):
    """Past EVENTS_KEEP_DAYS: delivered/cancelled go with their event; failed and new stay."""
    user_deactivate(user=user)
    old = timezone.now() - timedelta(days=8)
    Delivery.objects.update(status=Delivery.Status.DELIVERED, updated=old)
    Event.objects.update(created=old)
    bob = make_user(email="bob@example.com")
    knows_alice.pk, knows_alice.user = None, bob
    knows_alice.save()
    user_deactivate(user=bob)
    failed = Delivery.objects.get(event__user_sub=bob.sub)
    Delivery.objects.filter(pk=failed.pk).update(status=Delivery.Status.FAILED, updated=old)
    Event.objects.filter(user_sub=bob.sub).update(created=old)

    counts = purge_expired()

    assert (counts["old event deliveries"], counts["old events"]) == (1, 1)
    assert list(Delivery.objects.values_list("pk", flat=True)) == [failed.pk]
    assert purge_expired()["old event deliveries"] == 0
