"""``/metrics``: request metrics, sign-ins, token grants and deliveries, internal only."""

import pytest
from conftest import PASSWORD
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from oidc.tests.flow import client_credentials_token, token_refresh, tokens_get

pytestmark = pytest.mark.django_db


def scrape(**extra) -> dict[tuple[str, tuple], float]:
    """Return the samples of /metrics, read as the loopback Prometheus would."""
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def sign_ins(samples: dict, result: str) -> float:
    return samples.get(("idp_sign_ins_total", (("result", result),)), 0.0)


def grants(samples: dict, grant_type: str) -> float:
    return samples.get(("idp_token_grants_total", (("grant_type", grant_type),)), 0.0)


def test_metrics_list_the_request_and_database_metrics_of_django_prometheus() -> None:
    Client().get("/healthz")

    names = {name for name, _labels in scrape()}

    assert "django_http_requests_total_by_view_transport_method_total" in names
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in names
    assert "django_db_execute_total" in names


def test_a_sign_in_moves_the_ok_counter(user) -> None:
    before = scrape()

    response = Client().post("/account/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    after = scrape()
    assert sign_ins(after, "ok") == sign_ins(before, "ok") + 1
    assert sign_ins(after, "failed") == sign_ins(before, "failed")


def test_a_wrong_password_counts_failed_and_a_throttled_one_locked(user, settings) -> None:
    """With no free failure, the first wrong password makes the next try wait: locked."""
    settings.SIGN_IN_FREE_FAILURES = 0
    before = scrape()
    browser = Client()

    browser.post("/account/login/", {"username": user.email, "password": "wrong"})
    refused = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})

    assert refused.status_code == 429
    after = scrape()
    assert sign_ins(after, "failed") == sign_ins(before, "failed") + 1
    assert sign_ins(after, "locked") == sign_ins(before, "locked") + 1
    assert sign_ins(after, "ok") == sign_ins(before, "ok")


def test_token_grants_are_counted_by_grant_type(browser, shop_a, service_shop) -> None:
    application, secret = shop_a
    before = scrape()

    tokens = tokens_get(browser, application.client_id, secret)
    refreshed = token_refresh(application.client_id, secret, tokens["refresh_token"])
    service_app, service_secret = service_shop
    service = client_credentials_token(service_app.client_id, service_secret, scope="users:read")

    assert (refreshed.status_code, service.status_code) == (200, 200)
    after = scrape()
    for grant_type in ("authorization_code", "refresh_token", "client_credentials"):
        assert grants(after, grant_type) == grants(before, grant_type) + 1, grant_type


def test_a_refused_token_request_counts_no_grant(shop_a) -> None:
    application, secret = shop_a
    before = scrape()

    response = token_refresh(application.client_id, secret, "not-a-refresh-token")

    assert response.status_code == 400
    assert grants(scrape(), "refresh_token") == grants(before, "refresh_token")


def test_deliveries_are_counted_by_status_at_scrape_time() -> None:
    """Every status is listed, at 0 on an empty outbox (the backlog is the pending count)."""
    samples = scrape()

    for status in ("pending", "delivered", "failed", "cancelled"):
        assert samples[("idp_event_deliveries", (("status", status),))] == 0


def test_metrics_are_refused_to_a_public_address() -> None:
    response = Client(REMOTE_ADDR="93.184.215.14").get("/metrics")

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert b"idp_sign_ins_total" not in response.content


def test_metrics_are_refused_through_a_proxy() -> None:
    """nginx in front: the peer is private, but the request came from outside."""
    response = Client(REMOTE_ADDR="172.18.0.2").get(
        "/metrics", HTTP_X_FORWARDED_FOR="93.184.215.14"
    )

    assert response.status_code == 403


def test_the_metrics_token_opens_them_from_outside(settings) -> None:
    settings.METRICS_TOKEN = "scrape-token-for-tests"
    client = Client(REMOTE_ADDR="93.184.215.14")

    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")
    assert allowed.status_code == 200
    assert b"idp_sign_ins_total" in allowed.content


def test_every_response_carries_a_request_id() -> None:
    """The id a shop sent comes back; a malformed one is replaced."""
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID="shop-a-1234")
    replaced = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nX-Evil: 1")

    assert kept["X-Request-ID"] == "shop-a-1234"
    assert replaced["X-Request-ID"] != "bad id\r\nX-Evil: 1"
    assert len(replaced["X-Request-ID"]) == 32
