"""Parallel token requests with one code or one refresh token, on PostgreSQL's row locks.

Each request runs in a thread of its own, with its own connection and transaction, as the
server's workers do; SQLite has no row locks (and one writer at a time), so these run on
PostgreSQL only (``DATABASE_URL``).
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from oidc import validators
from oidc.tests.flow import code_get, pkce_make, token_exchange, token_refresh, tokens_get

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks: PostgreSQL (DATABASE_URL) only"
    ),
]

PARALLEL = 4


def _race(request: Callable[[], object], count: int = PARALLEL) -> list:
    """Send ``count`` copies of a request released together; return the responses."""
    barrier = threading.Barrier(count)

    def released():
        try:
            barrier.wait(timeout=30)
            return request()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: released(), range(count)))


def _lock_waiter_seen(deadline_seconds: float = 20) -> bool:
    """Poll until another backend of this database waits for a row lock, or the deadline."""
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
    return False


def _outcome(responses: list) -> tuple[int, list[str]]:
    """Return how many succeeded and the error codes of the others."""
    errors = sorted(r.json()["error"] for r in responses if r.status_code != 200)
    return sum(r.status_code == 200 for r in responses), errors


def test_parallel_refreshes_of_one_token_issue_one_pair_and_revoke_the_family(browser, shop_a):
    """One refresh wins; the others are replays of a rotated token (RFC 9700 §4.14.2).

    They revoke the family, so the winner's new refresh token no longer works either.
    """
    application, secret = shop_a
    tokens = tokens_get(browser, application.client_id, secret)

    responses = _race(lambda: token_refresh(application.client_id, secret, tokens["refresh_token"]))

    assert _outcome(responses) == (1, ["invalid_grant"] * (PARALLEL - 1))
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    replay = token_refresh(application.client_id, secret, winner["refresh_token"])
    assert replay.json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not AccessToken.objects.exists()


def test_parallel_exchanges_of_one_code_issue_one_pair(browser, shop_a):
    """One exchange wins; the others find the code gone (invalid_grant) and revoke its tokens.

    RFC 6749 §4.1.2: a code used twice revokes what its first use issued, so the winner's
    refresh token no longer works.
    """
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    responses = _race(
        lambda: token_exchange(Client(), application.client_id, secret, code, pkce.verifier)
    )

    assert _outcome(responses) == (1, ["invalid_grant"] * (PARALLEL - 1))
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    refresh = token_refresh(application.client_id, secret, winner["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"


def test_a_refresh_waiting_for_the_lock_finds_the_token_rotated(browser, shop_a, monkeypatch):
    """The second refresh waits on the first one's row lock, then reads the token revoked.

    The first holds its lock (paused before rotating) until the second is seen waiting: the
    second then gets invalid_grant and revokes the family, the first's new pair included.
    """
    application, secret = shop_a
    tokens = tokens_get(browser, application.client_id, secret)
    holding, release = threading.Event(), threading.Event()
    retire = validators.refresh_token_retire

    def paused_retire(*, refresh_token):
        if not holding.is_set():
            holding.set()
            release.wait(timeout=30)
        return retire(refresh_token=refresh_token)

    monkeypatch.setattr(validators, "refresh_token_retire", paused_retire)

    def refresh():
        try:
            return token_refresh(application.client_id, secret, tokens["refresh_token"])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(refresh)
        assert holding.wait(timeout=30)
        second = pool.submit(refresh)
        waited = _lock_waiter_seen()
        release.set()
        first, second = first.result(), second.result()

    assert waited
    assert first.status_code == 200
    assert second.json()["error"] == "invalid_grant"
    assert _outcome([first, second]) == (1, ["invalid_grant"])
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not AccessToken.objects.exists()
