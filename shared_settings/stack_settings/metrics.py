"""Prometheus metrics, alike on the three servers (docs/operations.md, "Metrics").

``RequestMetricsMiddleware`` counts requests (rate and latency by view, responses by status)
with django-prometheus's metrics, and its database wrapper counts queries; prometheus_client
holds the servers' own counters. Under gunicorn each worker is a process of its own: with
``PROMETHEUS_MULTIPROC_DIR`` set (scripts/entrypoint.sh does), counters are kept in files there
and every scrape adds up all workers.

``/metrics`` answers only the stack's own network (loopback and private addresses, with no
proxy in between) or a request with ``Authorization: Bearer <METRICS_TOKEN>``.
"""

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# django-prometheus's wrappers of Django's engines: the same engine, its queries counted.
METRICS_ENGINES = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}
# The methods a request metric names; any other is counted as this one (a label per made-up
# method would grow the metrics without bound). django-prometheus's list and label.
METRIC_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH")
)
OTHER_METHOD = "<invalid method>"
UNNAMED_VIEW = "<unnamed view>"
# A proxy in front adds one of these: the request then comes from outside, whatever the
# address of the proxy is.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def metrics_db_engine(engine: str) -> str:
    """Return django-prometheus's wrapper of a database ENGINE, or ``engine`` without one."""
    return METRICS_ENGINES.get(engine, engine)


class RequestMetricsMiddleware:
    """Count each request by view and by status, and time it: the metrics operations reads.

    Records django-prometheus's ``requests_total_by_view_transport_method``,
    ``responses_total_by_status_view_method`` and ``requests_latency_seconds_by_view_method``
    (docs/operations.md, "Metrics"), and nothing else: its Before/After middleware pair
    records a dozen metrics per request (body sizes, charsets, totals by method, by
    transport...), each a write to a shared file in multiprocess mode. Second in MIDDLEWARE,
    after the request id: the latency is the whole request's, and a response an outer
    middleware answers (a 400 for malformed input, an https redirect) is counted too, under
    ``<unnamed view>`` when no URL was resolved.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        # Imported here: django_prometheus.conf reads settings when imported, and this module
        # is imported by the settings modules themselves (metrics_db_engine).
        from django_prometheus.middleware import Metrics

        self.get_response = get_response
        self.metrics = Metrics.get_instance()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METRIC_METHODS else OTHER_METHOD
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else None) or UNNAMED_VIEW
        metrics = self.metrics
        metrics.requests_by_view_transport_method.labels(
            view=view, transport="https" if request.is_secure() else "http", method=method
        ).inc()
        metrics.responses_by_status_view_method.labels(
            status=str(response.status_code), view=view, method=method
        ).inc()
        metrics.requests_latency_by_view_method.labels(view=view, method=method).observe(
            time.perf_counter() - started
        )
        return response


def _is_internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_private


def metrics_access_allowed(request: HttpRequest, *, token: str) -> bool:
    """Return whether ``request`` may read the metrics.

    With ``token`` (METRICS_TOKEN) set, a request with ``Authorization: Bearer <token>`` may,
    from anywhere. Without the token, only a request from a loopback or private address that
    came through no proxy: behind a reverse proxy every request would otherwise come from
    the proxy's private address.
    """
    authorization = request.headers.get("Authorization", "")
    if token and authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), token.encode())
    if any(request.META.get(name) for name in FORWARDED_HEADERS):
        return False
    return _is_internal(request.META.get("REMOTE_ADDR", ""))


class _ProcessRegistry(Collector):
    """This process's default registry, as one collector of the scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class CountsCollector(Collector):
    """A gauge counted from the database at scrape time, e.g. rows by status.

    ``counts`` returns {label value: count}; a database error (or a model not installed,
    LookupError) leaves the gauge out of that scrape instead of failing it.
    """

    def __init__(
        self, name: str, documentation: str, *, label: str, counts: Callable[[], dict[str, int]]
    ) -> None:
        self.name, self.documentation, self.label, self.counts = name, documentation, label, counts

    def collect(self) -> Iterator[Metric]:
        """Yield the gauge with one sample per label value."""
        try:
            counts = self.counts()
        except (DatabaseError, LookupError) as error:
            logger.warning("metrics: %s left out: %s", self.name, error.__class__.__name__)
            return
        gauge = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, count in sorted(counts.items()):
            gauge.add_metric([value], count)
        yield gauge


def metrics_registry(collectors: Iterable[Collector] = ()) -> CollectorRegistry:
    """Return the registry of one scrape: every worker's metrics (or this process's), then
    ``collectors``, read from the database at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_DIR_VARIABLE):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    for collector in collectors:
        registry.register(collector)
    return registry


@require_safe
def metrics_view(request: HttpRequest, *, collectors: Iterable[Collector] = ()) -> HttpResponse:
    """Answer the Prometheus text exposition, or 403 JSON to a request from outside.

    A project's view calls it with its scrape-time collectors. A scrape is a GET: any other
    method is 405, as on the probes.
    """
    if not metrics_access_allowed(request, token=getattr(settings, "METRICS_TOKEN", "")):
        response: HttpResponse = JsonResponse(
            {
                "error": "forbidden",
                "detail": "Metrics are served to the internal network, or with the "
                "METRICS_TOKEN bearer token.",
            },
            status=403,
        )
    else:
        response = HttpResponse(
            generate_latest(metrics_registry(collectors)), content_type=CONTENT_TYPE_LATEST
        )
    response["Cache-Control"] = "no-store"
    return response
