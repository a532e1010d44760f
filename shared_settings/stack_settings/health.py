"""Liveness (``/healthz``) and readiness (``/readyz``) probes, the same on every server.

``/healthz`` answers as soon as the process serves requests and touches nothing else: a
liveness probe that failed because the database is down would get every container restarted
for nothing. ``/readyz`` checks what a request needs (the database, the cache, and the checks a
project adds in ``settings.READINESS_CHECKS``, e.g. the identity server's signing key) and
answers 503 naming what failed, so a load balancer sends traffic elsewhere meanwhile.

A project routes them in its root URLconf::

    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
"""

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A readiness check returns nothing when the part works and raises when it does not.
Check = Callable[[], None]


def database_check() -> None:
    """Run a trivial query on the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_check() -> None:
    """Write a value to the default cache and read it back."""
    key = f"readyz:{secrets.token_hex(8)}"
    cache.set(key, "ok", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "ok":
        raise RuntimeError("the cache did not return the value just written")


def readiness_checks() -> dict[str, Check]:
    """Return the checks of ``/readyz`` by name: database, cache, then the project's own.

    ``settings.READINESS_CHECKS`` maps a name to the dotted path of a check.
    """
    extra = getattr(settings, "READINESS_CHECKS", {})
    return {
        "database": database_check,
        "cache": cache_check,
        **{name: import_string(path) for name, path in extra.items()},
    }


def readiness_report() -> dict[str, str]:
    """Run every readiness check; return "ok" or the failure's class name for each.

    The details go to the log only: the probe may be reachable from outside.
    """
    report = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as error:  # any failure makes the server unready
            logger.warning("Readiness check %s failed: %r", name, error)
            report[name] = f"failed: {type(error).__name__}"
        else:
            report[name] = "ok"
    return report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 ``{"status": "ok"}`` while the process serves requests (liveness)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when every readiness check passes, else 503 naming the failed ones."""
    report = readiness_report()
    ready = all(result == "ok" for result in report.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": report},
        status=200 if ready else 503,
    )
