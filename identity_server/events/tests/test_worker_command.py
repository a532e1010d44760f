"""``deliver_events``: a clean stop on SIGTERM; the admin's retry and cancel."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_deactivate
from events.models import Delivery

PROJECT = Path(__file__).resolve().parents[2]


def test_sigterm_stops_the_worker_cleanly(tmp_path):
    """The long-running command exits 0 on SIGTERM, saying so."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'idp.sqlite3'}",
        "EVENTS_POLL_SECONDS": "0.1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT,
        env=env,
        check=True,
        timeout=120,
    )
    worker = subprocess.Popen(
        [sys.executable, "-u", "manage.py", "deliver_events"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Started (signal handlers set) once it says so; a crash ends the line empty.
    started = worker.stderr.readline()
    assert started.startswith("Delivering events"), started + worker.stderr.read()

    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)

    assert worker.returncode == 0, err
    assert "SIGTERM: stopping" in err
    assert "Made 0 delivery attempts." in out


@pytest.mark.django_db
def test_admin_retry_and_cancel(admin_client, knows_alice, user):
    """Retry makes a failed delivery due now; cancel makes a pending one cancelled."""
    user_deactivate(user=user)
    failed = Delivery.objects.get()
    failed.status = Delivery.Status.FAILED
    failed.next_attempt_at = timezone.now() + timezone.timedelta(hours=1)
    failed.save()
    url = reverse("admin:events_delivery_changelist")

    response = admin_client.post(url, {"action": "retry_now", "_selected_action": [failed.pk]})

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "pending"
    assert failed.next_attempt_at <= timezone.now()

    admin_client.post(url, {"action": "cancel", "_selected_action": [failed.pk]})

    failed.refresh_from_db()
    assert failed.status == "cancelled"
    listing = admin_client.get(url, {"status__exact": "cancelled"})
    assert listing.status_code == 200
    assert "account-disabled" in listing.content.decode()
    event_page = admin_client.get(reverse("admin:events_event_change", args=[failed.event_id]))
    assert event_page.status_code == 200
