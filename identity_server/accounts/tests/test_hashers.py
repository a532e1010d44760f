"""argon2id hashes: at most ARGON2_CONCURRENT_HASHES at once per process."""

import threading

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from accounts import hashers


@pytest.fixture
def slots(settings, request):
    """Set ARGON2_CONCURRENT_HASHES for the test; the permits are made afresh around it."""
    settings.ARGON2_CONCURRENT_HASHES = request.param
    hashers._hashing_slots.cache_clear()
    yield request.param
    hashers._hashing_slots.cache_clear()


def _most_at_once(monkeypatch, method: str, call, *, slots: int, threads: int = 4) -> int:
    """Run `call` in `threads` threads, holding argon2 until `slots` run; return the peak.

    While the permitted hashes are held, no permit is left: the other threads must wait.
    The hold ends once that is seen (or at a 30 s deadline), never after a fixed time.
    """
    running, peak = 0, 0
    changed, release = threading.Condition(), threading.Event()
    original = getattr(Argon2PasswordHasher, method)

    def held(self, *args):
        nonlocal running, peak
        with changed:
            running += 1
            peak = max(peak, running)
            changed.notify_all()
        release.wait(timeout=30)
        with changed:
            running -= 1
        return original(self, *args)

    monkeypatch.setattr(Argon2PasswordHasher, method, held)
    workers = [threading.Thread(target=call) for _ in range(threads)]
    for worker in workers:
        worker.start()
    with changed:
        filled = changed.wait_for(lambda: running >= slots, timeout=30)
    permits = hashers._hashing_slots()
    permit_left = permits.acquire(blocking=False)
    if permit_left:
        permits.release()
    release.set()
    for worker in workers:
        worker.join()
    assert filled
    assert not permit_left
    return peak


@pytest.mark.parametrize("slots", [1, 2], indirect=True)
def test_verifications_wait_for_a_permit(slots, settings, monkeypatch):
    settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST = 8, 1
    hasher = hashers.Argon2idPasswordHasher()
    encoded = hasher.encode("correct horse battery", hasher.salt())
    results = []

    def verify():
        results.append(hasher.verify("correct horse battery", encoded))

    assert _most_at_once(monkeypatch, "verify", verify, slots=slots) == slots
    assert results == [True] * 4


@pytest.mark.parametrize("slots", [1], indirect=True)
def test_new_hashes_wait_for_a_permit_too(slots, settings, monkeypatch):
    settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST = 8, 1
    settings.PASSWORD_HASHERS = ["accounts.hashers.Argon2idPasswordHasher"]
    made = []

    def hash_one():
        made.append(make_password("correct horse battery"))

    assert _most_at_once(monkeypatch, "encode", hash_one, slots=slots) == 1
    assert all(check_password("correct horse battery", encoded) for encoded in made)


@pytest.mark.parametrize("slots", [1], indirect=True)
def test_a_failed_hash_gives_its_permit_back(slots, settings, monkeypatch):
    hasher = hashers.Argon2idPasswordHasher()

    def broken(self, *args):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(Argon2PasswordHasher, "verify", broken)
    with pytest.raises(RuntimeError):
        hasher.verify("x", "argon2$whatever")

    permits = hashers._hashing_slots()
    assert permits.acquire(blocking=False)
    permits.release()
