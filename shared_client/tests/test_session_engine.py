"""sso_client.session_engine: Django's database sessions, with login()'s key cycle written once."""

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sso_client.session_engine import SessionStore

pytestmark = pytest.mark.django_db


def stored_session(**data: object) -> SessionStore:
    """Return a session saved with `data`, as a previous request left it."""
    store = SessionStore()
    store.update(data)
    store.save()
    return SessionStore(session_key=store.session_key)


def writes(context: CaptureQueriesContext) -> list[str]:
    """Return the first word of each statement but savepoints."""
    return [
        query["sql"].split()[0]
        for query in context.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_new_session_is_one_insert_without_a_lookup():
    store = SessionStore()
    store["a"] = 1

    with CaptureQueriesContext(connection) as context:
        store.save()

    assert writes(context) == ["INSERT"]
    assert SessionStore(session_key=store.session_key)["a"] == 1


def test_cycle_key_writes_nothing_until_save_which_moves_the_data():
    """Session fixation: after the save the old key holds nothing, the new key holds the data."""
    store = stored_session(state="s-1")
    old_key = store.session_key

    with CaptureQueriesContext(connection) as context:
        store.cycle_key()
        store["_auth_user_id"] = "7"
    new_key = store.session_key

    assert writes(context) == ["SELECT"]  # the data, loaded to be kept
    assert new_key != old_key
    assert not Session.objects.filter(pk=new_key).exists()

    with CaptureQueriesContext(connection) as context:
        store.save()

    assert writes(context) == ["INSERT", "DELETE"]
    assert not Session.objects.filter(pk=old_key).exists()
    assert dict(SessionStore(session_key=new_key).items()) == {"state": "s-1", "_auth_user_id": "7"}
    assert SessionStore(session_key=old_key).load() == {}


def test_a_save_after_the_cycle_is_an_update():
    store = stored_session(a=1)
    store.cycle_key()
    store.save()
    store["b"] = 2

    with CaptureQueriesContext(connection) as context:
        store.save()

    assert writes(context) == ["UPDATE"]
    assert Session.objects.count() == 1


def test_two_cycles_before_a_save_leave_one_row():
    store = stored_session(a=1)
    old_key = store.session_key

    store.cycle_key()
    store.cycle_key()
    store.save()

    assert list(Session.objects.values_list("pk", flat=True)) == [store.session_key]
    assert store.session_key != old_key


def test_cycling_a_session_without_a_row_creates_it():
    store = SessionStore()
    store["a"] = 1

    store.cycle_key()
    store.save()

    assert list(Session.objects.values_list("pk", flat=True)) == [store.session_key]


def test_flush_after_a_cycle_deletes_the_old_row():
    """login() then logout() in one request: nothing of the session is left behind."""
    store = stored_session(a=1)
    old_key = store.session_key
    store.cycle_key()

    store.flush()

    assert not Session.objects.filter(pk=old_key).exists()
    assert store.session_key is None


def test_a_new_key_that_clashes_with_a_live_session_is_refused():
    """The cycled key may already be recorded (SSOSession): it is never written over."""
    victim = stored_session(owner="victim")
    store = stored_session(owner="attacker")
    store.cycle_key()
    store._session_key = victim.session_key

    with pytest.raises(CreateError):
        store.save()

    assert SessionStore(session_key=victim.session_key)["owner"] == "victim"


def test_delete_is_one_statement():
    store = stored_session(a=1)

    with CaptureQueriesContext(connection) as context:
        store.delete()

    assert writes(context) == ["DELETE"]
    assert not Session.objects.exists()


def test_a_session_ended_meanwhile_is_not_written_back():
    """A back-channel logout deleted the row during the request: its save must not revive it."""
    store = stored_session(a=1)
    store["b"] = 2
    Session.objects.filter(pk=store.session_key).delete()

    with pytest.raises(UpdateError):
        store.save()

    assert not Session.objects.exists()


def test_a_key_drawn_for_a_new_session_is_drawn_again_on_a_clash(monkeypatch):
    """Nothing has seen a brand-new session's key yet: a taken one is replaced, not reused."""
    taken = stored_session(owner="someone")
    keys = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))
    store = SessionStore()
    store["owner"] = "me"

    store.save()

    assert store.session_key == "b" * 32
    assert SessionStore(session_key=taken.session_key)["owner"] == "someone"


def test_create_writes_nothing_until_the_save(django_assert_num_queries):
    """``create()`` gives a key without a statement; ``save()`` inserts the row with the data."""
    store = SessionStore()

    with django_assert_num_queries(0):
        store.create()
    store["answer"] = 42
    store.save()

    assert SessionStore(session_key=store.session_key).load() == {"answer": 42}


def test_a_taken_key_from_create_is_refused_not_overwritten(monkeypatch):
    """A key handed out by create() may be recorded already: another browser's row stays."""
    other = stored_session(user="bob")
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: other.session_key)
    store = SessionStore()
    store.create()
    store["user"] = "alice"

    with pytest.raises(CreateError):
        store.save()

    assert SessionStore(session_key=other.session_key).load() == {"user": "bob"}


@pytest.mark.django_db(transaction=True)
def test_a_taken_key_is_refused_outside_a_transaction_too(monkeypatch):
    """On a server (autocommit, no savepoint) the refused INSERT leaves the connection usable."""
    other = stored_session(user="bob")
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: other.session_key)
    store = SessionStore()
    store.create()

    with pytest.raises(CreateError):
        store.save()

    assert SessionStore(session_key=other.session_key).load() == {"user": "bob"}


def test_flush_of_an_unwritten_key_deletes_nothing(django_assert_num_queries):
    """A key never written has no row to delete."""
    store = SessionStore()
    store.create()

    with django_assert_num_queries(0):
        store.flush()

    assert store.session_key is None
