"""People's passwords: argon2id with our measured parameters (settings.ARGON2_*)."""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


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
