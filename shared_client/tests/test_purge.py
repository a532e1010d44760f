"""manage.py sso_purge: expired sessions and SSOSession rows without a session go, in batches."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from sso_client.models import SSOSession
from sso_client.sessions import RECORD_GRACE, sso_sessions_purge

pytestmark = pytest.mark.django_db
User = get_user_model()


def create_session(*, user, expired: bool = False) -> str:
    """Create a stored session with its SSOSession row; return its key."""
    store = SessionStore()
    store["x"] = 1
    store.create()
    if expired:
        Session.objects.filter(pk=store.session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
    record_old(SSOSession.objects.create(session_key=store.session_key, sid="s", user=user))
    return store.session_key


def record_old(record: SSOSession) -> None:
    """Date the row back beyond the purge's grace, as a sign-in of an hour ago left it."""
    created = timezone.now() - RECORD_GRACE - timedelta(seconds=1)
    SSOSession.objects.filter(pk=record.pk).update(created=created)


@pytest.fixture
def user():
    return User.objects.create_user(username="alice")


def test_purge_keeps_live_sessions_and_deletes_the_rest(user):
    """Expired sessions, their rows and rows whose session is gone are deleted; live stay."""
    live = [create_session(user=user) for _ in range(3)]
    expired = [create_session(user=user, expired=True) for _ in range(4)]
    record_old(SSOSession.objects.create(session_key="gone-session-key", sid="s", user=user))

    result = sso_sessions_purge(batch_size=2)

    assert result == (4, 5)
    assert set(Session.objects.values_list("pk", flat=True)) == set(live)
    assert set(SSOSession.objects.values_list("session_key", flat=True)) == set(live)
    assert not Session.objects.filter(pk__in=expired).exists()


def test_purge_command_reports_counts(user):
    create_session(user=user, expired=True)
    kept = create_session(user=user)

    out = io.StringIO()
    call_command("sso_purge", "--batch-size", "1", stdout=out)

    assert out.getvalue().strip() == "Deleted 1 expired session(s) and 1 SSO session record(s)."
    assert list(SSOSession.objects.values_list("session_key", flat=True)) == [kept]


def test_purge_command_refuses_a_batch_size_below_one(user):
    key = create_session(user=user, expired=True)

    with pytest.raises(CommandError, match="--batch-size must be 1 or more"):
        call_command("sso_purge", "--batch-size", "0")

    assert SSOSession.objects.filter(session_key=key).exists()


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
def test_purge_asks_a_cache_engine_which_sessions_exist(user):
    """With cache sessions, a row stays while the cache still holds its session."""
    from django.contrib.sessions.backends.cache import SessionStore as CacheStore

    store = CacheStore()
    store["x"] = 1
    store.create()
    record_old(SSOSession.objects.create(session_key=store.session_key, sid="s", user=user))
    record_old(SSOSession.objects.create(session_key="not-in-the-cache", sid="s", user=user))

    assert sso_sessions_purge(batch_size=10) == (0, 1)
    assert list(SSOSession.objects.values_list("session_key", flat=True)) == [store.session_key]


def test_purge_keeps_a_row_recorded_just_before_its_session(user):
    """A callback records its row before the response stores the session: the purge waits."""
    SSOSession.objects.create(session_key="stored-by-the-response", sid="s", user=user)
    record_old(SSOSession.objects.create(session_key="gone-for-an-hour", sid="s", user=user))

    assert sso_sessions_purge(batch_size=10) == (0, 1)
    assert list(SSOSession.objects.values_list("session_key", flat=True)) == [
        "stored-by-the-response"
    ]
