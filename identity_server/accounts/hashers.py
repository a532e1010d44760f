"""People's passwords: argon2id with our measured parameters (settings.ARGON2_*)."""

import threading
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


@cache
def _hashing_slots() -> threading.BoundedSemaphore:
    """Return the process's permits to run argon2id (settings.ARGON2_CONCURRENT_HASHES).

    Each hash fills ARGON2_MEMORY_KIB of memory that glibc keeps for the next one: a worker
    whose threads hash at once keeps one block per thread. More hashes at once than the
    worker's share of the cores gains nothing, so they queue instead (docs/performance.md).
    """
    return threading.BoundedSemaphore(settings.ARGON2_CONCURRENT_HASHES)


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's argon2 hasher (variant id) at the cost chosen by ``make bench``.

    Same algorithm name as Django's, so it verifies argon2 hashes of any cost (imported ones
    included) and Django rehashes those whose parameters differ at the next sign-in.
    """

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return settings.ARGON2_PARALLELISM

    def encode(self, password: str, salt: str) -> str:
        """Hash, waiting for a permit when the process already runs its share of hashes."""
        with _hashing_slots():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        """Verify, waiting for a permit like ``encode``."""
        with _hashing_slots():
            return super().verify(password, encoded)
