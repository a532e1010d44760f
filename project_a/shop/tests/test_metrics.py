"""The shop's ``/metrics``: request metrics and shadow users, internal only."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from sso_client.provisioning import shadow_user_create

pytestmark = pytest.mark.django_db

ISSUER = "http://localhost:8000/o"


def scrape() -> dict[tuple[str, tuple], float]:
    """Return the samples of /metrics, read as the loopback Prometheus would."""
    response = Client().get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def created(samples: dict) -> float:
    return samples.get(("shop_shadow_users_created_total", ()), 0.0)


def test_a_first_sign_in_counts_a_shadow_user_and_its_link() -> None:
    before = scrape()

    shadow_user_create(issuer=ISSUER, sub="sub-1", username="sub-1", claims={"sub": "sub-1"})

    after = scrape()
    assert created(after) == created(before) + 1
    assert after[("shop_identity_links", (("issuer", ISSUER),))] == 1


def test_updating_a_shadow_counts_nothing() -> None:
    user = shadow_user_create(issuer=ISSUER, sub="sub-2", username="sub-2", claims={})
    before = scrape()

    user.sso_identity.picture = "https://idp.example/p.png"
    user.sso_identity.save()

    assert created(scrape()) == created(before)


def test_the_request_metrics_of_django_prometheus_are_listed() -> None:
    Client().get("/healthz")

    names = {name for name, _labels in scrape()}

    assert "django_http_requests_total_by_view_transport_method_total" in names
    assert "django_db_execute_total" in names


def test_metrics_are_refused_to_a_public_address() -> None:
    response = Client(REMOTE_ADDR="93.184.215.14").get("/metrics")

    assert response.status_code == 403
    assert b"shop_shadow_users_created_total" not in response.content


def test_responses_echo_the_request_id() -> None:
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="rid-9")["X-Request-ID"] == "rid-9"


def test_the_links_of_the_configured_issuer_are_listed_at_zero(settings) -> None:
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "ISSUER": ISSUER}

    assert scrape()[("shop_identity_links", (("issuer", ISSUER),))] == 0
