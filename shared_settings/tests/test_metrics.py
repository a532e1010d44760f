import json

import pytest
from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import ResolverMatch
from prometheus_client import REGISTRY, Counter
from prometheus_client.parser import text_string_to_metric_families

from stack_settings.metrics import (
    OTHER_METHOD,
    UNNAMED_VIEW,
    CountsCollector,
    RequestMetricsMiddleware,
    metrics_access_allowed,
    metrics_db_engine,
    metrics_registry,
    metrics_view,
)

if not settings.configured:
    settings.configure()

probe = Counter("stack_test_probe_total", "A counter of this test module.", ["kind"])


def _request(remote_addr: str = "127.0.0.1", **headers):
    return RequestFactory().get("/metrics", REMOTE_ADDR=remote_addr, **headers)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "10.1.2.3", "172.18.0.5", "192.168.1.9", "::ffff:127.0.0.1"]
)
def test_the_internal_network_may_read_the_metrics(address: str) -> None:
    assert metrics_access_allowed(_request(address), token="") is True


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860::8888", "", "not-an-ip"])
def test_public_addresses_may_not(address: str) -> None:
    assert metrics_access_allowed(_request(address), token="") is False


@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"])
def test_a_request_through_a_proxy_may_not_even_from_a_private_address(header: str) -> None:
    """Behind nginx every request comes from nginx's private address: the proxy gives it away."""
    request = _request("172.18.0.2", **{header: "93.184.215.14"})
    assert metrics_access_allowed(request, token="") is False


def test_the_metrics_token_opens_them_from_anywhere() -> None:
    request = _request("93.184.215.14", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert metrics_access_allowed(request, token="s3cret-token") is True


@pytest.mark.parametrize("authorization", ["Bearer wrong", "Bearer ", "Basic s3cret-token"])
def test_a_wrong_token_is_refused(authorization: str) -> None:
    request = _request("93.184.215.14", HTTP_AUTHORIZATION=authorization)
    assert metrics_access_allowed(request, token="s3cret-token") is False


def test_a_token_is_refused_while_none_is_configured() -> None:
    """An empty METRICS_TOKEN never matches an empty bearer."""
    request = _request("93.184.215.14", HTTP_AUTHORIZATION="Bearer ")
    assert metrics_access_allowed(request, token="") is False


def test_the_view_answers_403_json_from_outside() -> None:
    response = metrics_view(_request("93.184.215.14"))

    assert response.status_code == 403
    assert json.loads(response.content)["error"] == "forbidden"
    assert response["Cache-Control"] == "no-store"
    assert b"stack_test_probe_total" not in response.content


@pytest.mark.parametrize("method", ["post", "put", "delete", "options"])
def test_the_view_answers_only_a_scrape(method: str) -> None:
    """Any method but GET and HEAD is 405, and lists no metric."""
    request = getattr(RequestFactory(), method)("/metrics", REMOTE_ADDR="127.0.0.1")

    response = metrics_view(request)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert b"stack_test_probe_total" not in response.content


def _samples(content: bytes) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(content.decode())
        for sample in family.samples
    }


def test_the_view_lists_the_process_counters_and_the_collectors(monkeypatch) -> None:
    """Without PROMETHEUS_MULTIPROC_DIR (runserver, tests): this process's registry."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    probe.labels(kind="a").inc()
    links = CountsCollector("stack_test_rows", "Rows.", label="status", counts=lambda: {"x": 3})

    response = metrics_view(_request(), collectors=[links])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _samples(response.content)
    assert samples[("stack_test_probe_total", (("kind", "a"),))] >= 1
    assert samples[("stack_test_rows", (("status", "x"),))] == 3


def test_a_collector_whose_database_fails_is_left_out_of_the_scrape() -> None:
    def counts() -> dict[str, int]:
        raise OperationalError("the database is down")

    broken = CountsCollector("stack_test_broken", "Rows.", label="status", counts=counts)

    assert list(broken.collect()) == []


def test_multiprocess_mode_adds_up_the_files_of_every_worker(tmp_path, monkeypatch) -> None:
    """With PROMETHEUS_MULTIPROC_DIR the scrape reads the workers' files, not this process."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    probe.labels(kind="b").inc()

    names = {family.name for family in metrics_registry().collect()}

    assert "stack_test_probe" not in names


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("django.db.backends.sqlite3", "django_prometheus.db.backends.sqlite3"),
        ("django.db.backends.postgresql", "django_prometheus.db.backends.postgresql"),
        ("django.db.backends.oracle", "django.db.backends.oracle"),
    ],
)
def test_metrics_db_engine_wraps_the_engines_of_the_stack(engine: str, expected: str) -> None:
    assert metrics_db_engine(engine) == expected


def _middleware(status: int = 200, view_name: str | None = None) -> RequestMetricsMiddleware:
    def view(request):
        if view_name is not None:
            request.resolver_match = ResolverMatch(view, (), {}, url_name=view_name)
        return HttpResponse(status=status)

    return RequestMetricsMiddleware(view)


def _request_samples() -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in REGISTRY.collect()
        if family.name.startswith("django_http_")
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_request_metrics_count_by_view_and_status_and_time_the_request() -> None:
    """The three metrics docs/operations.md lists, labelled as django-prometheus labels them."""
    by_view = {"view": "stack_test_view", "transport": "http", "method": "POST"}
    by_status = {"status": "429", "view": "stack_test_view", "method": "POST"}
    latency = {"view": "stack_test_view", "method": "POST"}
    before = (
        _value("django_http_requests_total_by_view_transport_method_total", **by_view),
        _value("django_http_responses_total_by_status_view_method_total", **by_status),
        _value("django_http_requests_latency_seconds_by_view_method_count", **latency),
    )
    middleware = _middleware(status=429, view_name="stack_test_view")
    others = _request_samples()

    response = middleware(RequestFactory().post("/x", {"a": "1"}))

    assert response.status_code == 429
    assert (
        _value("django_http_requests_total_by_view_transport_method_total", **by_view),
        _value("django_http_responses_total_by_status_view_method_total", **by_status),
        _value("django_http_requests_latency_seconds_by_view_method_count", **latency),
    ) == (before[0] + 1, before[1] + 1, before[2] + 1)
    # django-prometheus's other request metrics are not recorded.
    changed = {name for name, value in _request_samples().items() if others.get(name) != value}
    assert {name for name, _labels in changed} == {
        "django_http_requests_total_by_view_transport_method_total",
        "django_http_responses_total_by_status_view_method_total",
        "django_http_requests_latency_seconds_by_view_method_count",
        "django_http_requests_latency_seconds_by_view_method_sum",
        "django_http_requests_latency_seconds_by_view_method_bucket",
    }


def test_an_unresolved_request_and_a_made_up_method_get_fixed_labels() -> None:
    """No URL resolved (an outer middleware answered): one label, not the path; any odd
    method: one label, so that made-up values cannot grow the metrics without bound."""
    labels = {"status": "400", "view": UNNAMED_VIEW, "method": OTHER_METHOD}
    before = _value("django_http_responses_total_by_status_view_method_total", **labels)

    _middleware(status=400)(RequestFactory().generic("BREW", "/coffee"))

    after = _value("django_http_responses_total_by_status_view_method_total", **labels)
    assert after == before + 1
