"""Benchmark what a person's password costs at sign-in (`make bench`).

Run from identity_server/. In one run, interleaved round by round, it measures the median CPU
time (this process: hashing is CPU-bound and single-threaded) of
1. verifying a password with PBKDF2 at Django's iterations (the hasher before argon2id) and
   with argon2id at several costs at or above OWASP's minimum (m >= 19 MiB, t >= 2, p = 1),
   the configured one marked;
2. a password sign-in through the real /account/login/ view, for a user whose hash is PBKDF2
   and for one whose hash is the configured argon2id;
and prints medians, sign-ins per second per core and ratios to PBKDF2. Nothing is asserted.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROUNDS = 5
RUNS_PER_ROUND = 5
# (memory KiB, time cost): OWASP's argon2id options with p=1 (t=1 is below our floor of 2).
ARGON2_CANDIDATES = [(19 * 1024, 2), (12 * 1024, 3), (46 * 1024, 2), (64 * 1024, 3)]
PASSWORD = "a correct horse battery staple"  # noqa: S105 (bench only)


def cpu_seconds(action: Callable[[], object]) -> float:
    """Return the CPU time (user + system, this process) of one call of ``action``."""
    started = time.process_time()
    action()
    return time.process_time() - started


def main() -> None:
    sys.path.insert(0, str(Path.cwd()))
    var_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ.update(DEBUG="1", SECRET_KEY="bench-only", VAR_DIR=str(var_dir))  # noqa: S106
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ.update(CACHE_URL="locmemcache://", EMAIL_URL="memorymail://")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    logging.getLogger("django").setLevel(logging.ERROR)
    from argon2.low_level import Type, hash_secret
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    User = get_user_model()

    def argon2_hash(memory_kib: int, time_cost: int) -> str:
        raw = hash_secret(
            PASSWORD.encode(),
            os.urandom(16),
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
        )
        return "argon2" + raw.decode()

    pbkdf2 = PBKDF2PasswordHasher()
    hashes = {
        f"pbkdf2_sha256 i={pbkdf2.iterations}": make_password(PASSWORD, hasher="pbkdf2_sha256")
    }
    configured = (settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST)
    for memory_kib, time_cost in ARGON2_CANDIDATES:
        mark = " (configured)" if (memory_kib, time_cost) == configured else ""
        name = f"argon2id m={memory_kib // 1024}MiB t={time_cost} p=1{mark}"
        hashes[name] = argon2_hash(memory_kib, time_cost)

    # Two users: one still on PBKDF2 (rehash disabled by storing it back each time), one on
    # the configured argon2id. Sign-in = the real view: form, throttle, hash, session, audit.
    users = {
        "pbkdf2_sha256": make_password(PASSWORD, hasher="pbkdf2_sha256"),
        "argon2id (configured)": make_password(PASSWORD),
    }
    for index, encoded in enumerate(users.values()):
        User.objects.create(email=f"bench{index}@example.com", password=encoded)

    def sign_in(index: int, encoded: str) -> None:
        client = Client(HTTP_HOST="localhost")
        response = client.post(
            "/account/login/", {"username": f"bench{index}@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        User.objects.filter(email=f"bench{index}@example.com").update(password=encoded)

    verify: dict[str, list[float]] = {name: [] for name in hashes}
    signins: dict[str, list[float]] = {name: [] for name in users}
    for _ in range(ROUNDS):
        for name, encoded in hashes.items():
            for _ in range(RUNS_PER_ROUND):
                verify[name].append(cpu_seconds(lambda e=encoded: check_password(PASSWORD, e)))
        for index, (name, encoded) in enumerate(users.items()):
            for _ in range(RUNS_PER_ROUND):
                signins[name].append(cpu_seconds(lambda i=index, e=encoded: sign_in(i, e)))

    runs = ROUNDS * RUNS_PER_ROUND
    print(f"Password hashing at sign-in: CPU ms, medians of {runs} runs, interleaved rounds")
    print(f"{'hasher':<44}{'verify CPU':>12}{'per core/s':>12}{'vs PBKDF2':>11}")
    reference = statistics.median(next(iter(verify.values())))
    for name, samples in verify.items():
        cost = statistics.median(samples)
        print(f"{name:<44}{cost * 1000:>9.1f} ms{1 / cost:>12.1f}{cost / reference:>10.2f}x")
    print(f"\n{'sign-in POST /account/login/ (whole view)':<44}{'CPU':>12}{'per core/s':>12}")
    first = statistics.median(next(iter(signins.values())))
    for name, samples in signins.items():
        cost = statistics.median(samples)
        print(f"{name:<44}{cost * 1000:>9.1f} ms{1 / cost:>12.1f}{cost / first:>10.2f}x")


if __name__ == "__main__":
    main()
