"""The worker's deliveries over real HTTP: retries, refusals, Retry-After, timeouts, leases."""

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

from accounts.services import user_deactivate, user_profile_update
from events import constants
from events.models import Delivery
from events.services.delivery import (
    Outcome,
    deliveries_claim,
    outcome_record,
    retry_after_seconds,
)
from events.services.worker import DeliveryWorker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_retries(settings) -> None:
    """Retries at once (no backoff) so a whole retry sequence runs in one ``--once`` pass."""
    settings.EVENTS_RETRY_BASE_SECONDS = 0
    settings.EVENTS_HTTP_TIMEOUT_SECONDS = 0.5


def deliver() -> int:
    """Run the worker until nothing is due; return how many attempts it made."""
    return DeliveryWorker(stop=threading.Event(), threads=2).run(once=True)


def verified_set(body: bytes) -> tuple[dict, dict]:
    """Return (header, claims) of a SET whose signature the JWKS key verifies."""
    key = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    token = jwt.JWT(key=jwk.JWK(**json.loads(key.export_public())), jwt=body.decode())
    return json.loads(token.header), json.loads(token.claims)


def test_three_503_then_200_is_delivered_on_the_fourth_attempt(knows_alice, user, receiver):
    """Each attempt is a new, valid SET (new jti), with the same toe and txn."""
    receiver.script(503, 503, 503, 202)
    user_profile_update(user=user, data={"given_name": "Alicia"})

    assert deliver() == 4

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 4, 202)
    assert delivery.delivered_at is not None
    tokens = [verified_set(request["body"]) for request in receiver.requests]
    assert len({claims["jti"] for _header, claims in tokens}) == 4
    assert len({(claims["toe"], claims["txn"]) for _header, claims in tokens}) == 1
    header, claims = tokens[-1]
    assert header == {
        "alg": "RS256",
        "typ": "secevent+jwt",
        "kid": jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode()).thumbprint(),
    }
    assert claims["iss"] == "http://localhost:8000/o"
    assert claims["aud"] == delivery.application.client_id
    assert claims["exp"] == claims["iat"] + 120
    assert claims["sub"] == str(user.sub)
    assert claims["sub_id"] == {"format": "iss_sub", "iss": claims["iss"], "sub": str(user.sub)}
    assert claims["txn"] == str(delivery.event_id)
    assert claims["toe"] == delivery.event.created.timestamp()
    assert claims["events"][constants.EVENT_CLAIMS_CHANGE]["claims"]["given_name"] == "Alicia"
    assert "nonce" not in claims and "sid" not in claims
    headers = receiver.requests[-1]["headers"]
    assert headers["Content-Type"] == "application/secevent+jwt"
    assert headers["Accept"] == "application/json"


def test_a_400_fails_the_delivery_without_retry(knows_alice, user, receiver):
    """A 4xx other than 408/429 is final: one attempt, failed, visible with its code."""
    receiver.script(400)
    user_deactivate(user=user)

    assert deliver() == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 400)
    assert delivery.last_error == "HTTP 400 Bad Request"


def test_a_429_retry_after_is_honoured(knows_alice, user, receiver, settings):
    """The next attempt waits at least what Retry-After asked for."""
    receiver.script((429, {"Retry-After": "120"}, 0.0), 202)
    user_deactivate(user=user)
    before = timezone.now()

    assert deliver() == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 429)
    assert delivery.next_attempt_at >= before + timedelta(seconds=120)


@pytest.mark.parametrize(
    "value", ["\u00b2", "soon", "-5", "Mon, 01 Jan 99999999999999999999 00:00:00 GMT", ""]
)
def test_a_malformed_retry_after_is_ignored(value):
    """A Retry-After that is neither digits nor an HTTP date asks for no wait."""
    assert retry_after_seconds(value) is None


def test_an_acknowledgement_with_a_malformed_retry_after_is_delivered(
    knows_alice, user, receiver, settings
):
    """A 2xx is delivered whatever else its headers say: no retry of what the client took."""
    settings.EVENTS_RETRY_FOR_SECONDS = 0  # a wrongly retried attempt fails at once
    receiver.script((202, {"Retry-After": "\u00b2"}, 0.0))
    user_deactivate(user=user)

    assert deliver() == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        202,
        "",
    )


def test_a_timeout_is_retried(knows_alice, user, receiver):
    """No answer within EVENTS_HTTP_TIMEOUT_SECONDS: tried again, then delivered."""
    receiver.script((202, {}, 2.0), 202)
    user_deactivate(user=user)

    assert deliver() == 2

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_past_the_retry_window_a_retryable_error_fails(knows_alice, user, receiver, settings):
    """EVENTS_RETRY_FOR_SECONDS bounds the retries: then the delivery fails."""
    receiver.script(503)
    user_deactivate(user=user)
    Delivery.objects.update(give_up_at=timezone.now())

    assert deliver() == 1

    assert Delivery.objects.get().status == "failed"


def test_a_leased_delivery_is_not_claimed_twice(knows_alice, user):
    """A claim leases its rows: a second claim (another worker) does not take them."""
    user_deactivate(user=user)

    first = deliveries_claim(limit=10)
    second = deliveries_claim(limit=10)

    assert [attempt.attempt for attempt in first] == [1]
    assert second == []
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)


def test_a_cancelled_delivery_in_flight_stays_cancelled(knows_alice, user, receiver):
    """An admin's cancel during the POST wins over the outcome."""
    user_deactivate(user=user)
    [attempt] = deliveries_claim(limit=1)
    Delivery.objects.update(status=Delivery.Status.CANCELLED)

    assert outcome_record(attempt=attempt, outcome=Outcome(status_code=503)) == "pending"
    assert Delivery.objects.get().status == "cancelled"


def test_a_later_event_waits_for_the_earlier_one_to_the_same_client(knows_alice, user):
    """Renamed, then deactivated: the deactivation is not claimed while the rename is pending."""
    user_profile_update(user=user, data={"given_name": "Alicia"})
    user_deactivate(user=user)
    claims_change, disabled = Delivery.objects.order_by("pk")
    assert claims_change.event.type.endswith("token-claims-change")
    assert disabled.event.type.endswith("account-disabled")

    [first] = deliveries_claim(limit=10)
    assert first.delivery_id == claims_change.pk
    # The rename is in flight (leased): the deactivation waits, even past its due time.
    assert deliveries_claim(limit=10) == []

    outcome_record(attempt=first, outcome=Outcome(status_code=503))
    Delivery.objects.filter(pk=claims_change.pk).update(next_attempt_at=timezone.now())
    [retry] = deliveries_claim(limit=10)
    assert retry.delivery_id == claims_change.pk, "the retry of the rename goes first again"

    outcome_record(attempt=retry, outcome=Outcome(status_code=202))
    [then] = deliveries_claim(limit=10)
    assert then.delivery_id == disabled.pk
