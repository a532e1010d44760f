"""The sign-in throttle: failed checks counted per account and per client IP.

API, for every check of a secret (password, TOTP code, recovery code, passkey):

- ``throttle_check(request=, identifier=) -> int | None``: call *before* checking the
  secret. Return the seconds to wait when the identifier or the client's IP is throttled:
  then do not check the secret, and answer as for a wrong one (with HTTP 429 and
  ``Retry-After``). Return None when the check may go ahead.
- ``throttle_failure(request=, identifier=, user=None) -> int``: call after a wrong secret.
  Count the failure for the identifier and the IP; return the wait it starts (0 for none).
  When it starts a lockout, record SIGN_IN_LOCKED (``user`` names the account when the
  identifier is not its email).
- ``throttle_success(request=, identifier=) -> None``: call after a right secret. Forget
  the identifier's failures (not the IP's: one good account must not unlock a spraying IP).

``identifier`` is any string naming what is being guessed; it is normalised (stripped,
lower-cased) and hashed, so an unknown email is counted exactly like a known one. Passwords
use the email typed (accounts/backends.py does this for every ``authenticate()`` call).
Second factors should use a key of their own, e.g. ``f"second-factor:{user.pk}"``, so that
a right password does not forget the wrong codes.

Thresholds (settings, docs/account-security.md): SIGN_IN_FREE_FAILURES failures are free;
each later failure makes the next check wait 1, 2, 4... seconds (at most
SIGN_IN_LOCKOUT_SECONDS); from SIGN_IN_LOCKOUT_FAILURES failures on, each failure locks the
identifier for SIGN_IN_LOCKOUT_SECONDS. The counter is forgotten SIGN_IN_LOCKOUT_SECONDS after
its wait ends without a new failure, so no attacker can lock an account for good. The IP
counts the same way with SIGN_IN_IP_FREE_FAILURES and SIGN_IN_IP_LOCKOUT_FAILURES.

Counters live in Django's default cache (CACHE_URL), shared by every IdP process:
``cache.add`` and ``cache.incr`` are atomic on Redis.
"""

import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from audit.models import AuditEvent
from audit.services import audit_event_record
from config.client_ip import client_ip

User = get_user_model()
logger = logging.getLogger(__name__)

KEY_PREFIX = "sign-in-throttle"
# Set on the request by accounts/backends.py when the throttle refused a password check: the
# seconds to wait. The sign-in form reads it to answer 429; the audit log records it.
RETRY_AFTER_ATTRIBUTE = "sign_in_retry_after"


@dataclass(frozen=True)
class _Counter:
    """One throttled thing (an identifier or an IP) and its thresholds."""

    key: str
    scope: str
    free: int
    lockout: int

    @property
    def failures_key(self) -> str:
        return f"{self.key}:failures"

    @property
    def until_key(self) -> str:
        return f"{self.key}:until"


def _now() -> float:
    return time.time()


def identifier_normalise(identifier: str) -> str:
    """Return the identifier as counted: stripped and lower-cased (``Bob@X`` is ``bob@x``)."""
    return (identifier or "").strip().lower()


def _identifier_counter(identifier: str) -> _Counter:
    # Keyed (not plain) hash: the cache never holds, or confirms, an email address.
    digest = salted_hmac(
        KEY_PREFIX, identifier_normalise(identifier), algorithm="sha256"
    ).hexdigest()
    return _Counter(
        key=f"{KEY_PREFIX}:id:{digest}",
        scope="account",
        free=settings.SIGN_IN_FREE_FAILURES,
        lockout=settings.SIGN_IN_LOCKOUT_FAILURES,
    )


def _counters(request: HttpRequest | None, identifier: str) -> list[_Counter]:
    counters = [_identifier_counter(identifier)]
    ip = client_ip(request)
    if ip:
        counters.append(
            _Counter(
                key=f"{KEY_PREFIX}:ip:{ip}",
                scope="ip",
                free=settings.SIGN_IN_IP_FREE_FAILURES,
                lockout=settings.SIGN_IN_IP_LOCKOUT_FAILURES,
            )
        )
    return counters


def wait_after(*, failures: int, free: int, lockout: int) -> int:
    """Return the seconds to wait after the ``failures``-th failure in a row.

    0 for the first ``free`` failures, then 1, 2, 4... seconds capped at
    SIGN_IN_LOCKOUT_SECONDS, and the full lockout from the ``lockout``-th failure on.
    """
    lockout_seconds = settings.SIGN_IN_LOCKOUT_SECONDS
    if failures >= lockout:
        return lockout_seconds
    if failures <= free:
        return 0
    # The exponent is capped too: 2**1000 is a big int for nothing.
    return min(2 ** min(failures - free - 1, 62), lockout_seconds)


def _when_the_cache_is_down[**P, R](fallback: R) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Log and return ``fallback`` when the cache (Redis, the database) does not answer.

    A throttle store outage must not stop every customer from signing in: checks go ahead
    unthrottled (each failure is still in the audit log) and the error is logged loudly.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except (RedisError, DatabaseError, OSError):
                logger.exception("Sign-in throttle: the cache did not answer; not throttling")
                return fallback

        return wrapper

    return decorate


@_when_the_cache_is_down(None)
def throttle_check(*, request: HttpRequest | None, identifier: str) -> int | None:
    """Return the seconds left to wait before ``identifier`` may be checked, or None."""
    counters = _counters(request, identifier)
    untils = cache.get_many([counter.until_key for counter in counters])
    now = _now()
    waits = [until - now for until in untils.values() if until - now > 0]
    if not waits:
        return None
    return math.ceil(max(waits))


def _failures_incr(counter: _Counter) -> int:
    # add() creates the counter only when missing, incr() is atomic: two processes
    # counting at once both count.
    cache.add(counter.failures_key, 0, timeout=settings.SIGN_IN_LOCKOUT_SECONDS)
    try:
        return cache.incr(counter.failures_key)
    except ValueError:  # expired between add() and incr()
        cache.set(counter.failures_key, 1, timeout=settings.SIGN_IN_LOCKOUT_SECONDS)
        return 1


def _lockout_subject(identifier: str, user):
    if user is not None:
        return user
    if "@" not in identifier:
        return None
    email = User.normalize_email_address(identifier_normalise(identifier))
    return User.objects.filter(email=email).first()


@_when_the_cache_is_down(0)
def throttle_failure(*, request: HttpRequest | None, identifier: str, user=None) -> int:
    """Count a failed check of ``identifier``; return the wait it starts (0 for none)."""
    longest = 0
    now = _now()
    for counter in _counters(request, identifier):
        failures = _failures_incr(counter)
        wait = wait_after(failures=failures, free=counter.free, lockout=counter.lockout)
        # Forget the failures SIGN_IN_LOCKOUT_SECONDS after the wait ends without another.
        cache.touch(counter.failures_key, timeout=wait + settings.SIGN_IN_LOCKOUT_SECONDS)
        if wait:
            cache.set(counter.until_key, now + wait, timeout=wait + 1)
        if failures >= counter.lockout:
            audit_event_record(
                kind=AuditEvent.Kind.SIGN_IN_LOCKED,
                subject_user=(
                    _lockout_subject(identifier, user) if counter.scope == "account" else None
                ),
                request=request,
                data={"scope": counter.scope, "failures": failures, "seconds": wait},
            )
        longest = max(longest, wait)
    return longest


@_when_the_cache_is_down(None)
def throttle_success(*, request: HttpRequest | None, identifier: str) -> None:
    """Forget the failures of ``identifier`` after a right secret (the IP's stay counted)."""
    counter = _identifier_counter(identifier)
    cache.delete_many([counter.failures_key, counter.until_key])
