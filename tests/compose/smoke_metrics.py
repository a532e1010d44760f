"""After the smoke, each server's metrics show the sign-ins and token grants it handled."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families
from support.web import sign_in_at_shop

from .stack import SmokeClient


def samples(url: str) -> dict[tuple[str, frozenset], float]:
    """Return the samples of a server's /metrics (scraped on its own port) by name and labels."""
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text[:500]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def total(found: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    """Return the sum of the samples called ``name`` that carry ``labels``."""
    wanted = set(labels.items())
    return sum(value for (sample, got), value in found.items() if sample == name and wanted <= got)


def test_every_server_counts_its_sign_ins_and_tokens(stack, customer):
    """Each identity server replica counts the sign-ins it checked (one pinned to each here),
    the replicas together the codes exchanged for tokens, each shop its new shadow users."""
    for replica in stack.idp_pinned or [stack.idp]:
        client = SmokeClient(stack)
        if stack.idp_pinned:
            client.pin_identity_server(stack, [replica])
        sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
        assert client.page().select_one(".user-name") is not None

    replicas = [samples(url) for url in stack.idp_direct]
    for found in replicas:
        assert total(found, "idp_sign_ins_total", result="ok") > 0
    grants = sum(
        total(found, "idp_token_grants_total", grant_type="authorization_code")
        for found in replicas
    )
    assert grants > 0
    for shop in stack.shops_direct:
        assert total(samples(shop), "shop_shadow_users_created_total") > 0
