"""The production profile: TLS from nginx, two identity server replicas sharing every state."""

from __future__ import annotations

import pytest
import requests
from support.web import sign_in_at_shop


def test_a_sign_in_started_on_one_replica_finishes_on_the_other(stack, client, customer):
    """Each request to the issuer goes to the other replica than the one before: the sign-in
    form, the password, the authorization and the silent sign-in at B all still work."""
    pinning = client.pin_identity_server(stack)

    page = sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    response = client.get(f"{stack.shop_b}/oidc/login/?next=/")

    assert page.url.startswith(stack.shop_a)
    assert client.page(page).select_one(".user-name").get_text(strip=True) == (customer.full_name)
    assert not any("/account/login/" in r.url for r in [*response.history, response])
    assert client.page().select_one(".user-name").get_text(strip=True) == customer.full_name
    assert len(pinning.served) >= 4
    assert set(pinning.served) == {"identity_server_1", "identity_server_2"}
    assert all(a != b for a, b in zip(pinning.served, pinning.served[1:], strict=False))


def test_the_certificate_verifies_against_the_generated_ca_only(stack):
    """The self-signed certificate chains to the CA written on first start, not to a public one."""
    discovery = requests.get(
        f"{stack.idp}/o/.well-known/openid-configuration", verify=stack.ca_file, timeout=10
    )
    assert discovery.json()["issuer"] == f"{stack.idp}/o"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{stack.idp}/healthz", verify=True, timeout=10)


def test_nginx_passes_the_request_id_and_the_scheme(stack, client):
    """The request id a client sends comes back; the servers know the request was https."""
    response = client.get(f"{stack.idp}/account/login/", headers={"X-Request-ID": "smoke-123"})
    assert response.headers["X-Request-ID"] == "smoke-123"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert all(cookie.secure for cookie in client.session.cookies)


@pytest.mark.parametrize("server", ["idp", "shop_a", "shop_b"])
def test_metrics_are_not_served_to_the_public(stack, client, server):
    """nginx answers 404 for /metrics on every public port."""
    assert client.get(f"{getattr(stack, server)}/metrics").status_code == 404
