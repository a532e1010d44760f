"""RFC 8707 resource indicators at the authorization endpoint: stored on the code, or refused."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from oauth2_provider.models import Grant

from oidc.tests.flow import authorize_params, pkce_make, query, token_exchange

pytestmark = pytest.mark.django_db

PARTNER_CALLBACK = "https://partner.example.net/callback"
API = "https://api.shop-a.example/"
REPORTS = "https://reports.shop-a.example/"


def _authorize(browser: Client, client_id: str, resources: list[str], **overrides: str):
    """GET /o/authorize/ with each of ``resources`` as a ``resource`` parameter."""
    params = authorize_params(client_id, pkce_make(), **overrides)
    pairs = [*params.items(), *(("resource", resource) for resource in resources)]
    return browser.get(f"/o/authorize/?{urlencode(pairs)}"), params


def test_every_resource_is_stored_on_the_code_and_reaches_the_token(browser, shop_a):
    application, secret = shop_a
    pkce = pkce_make()
    params = authorize_params(application.client_id, pkce)
    pairs = [*params.items(), ("resource", API), ("resource", REPORTS)]

    response = browser.get(f"/o/authorize/?{urlencode(pairs)}")

    code = query(response["Location"])["code"]
    assert Grant.objects.get(code=code).resource == [API, REPORTS]
    tokens = token_exchange(Client(), application.client_id, secret, code, pkce.verifier)
    assert tokens.status_code == 200


@pytest.mark.parametrize("resource", ["not a uri", "/relative/path", "https://api.example/#x"])
def test_a_malformed_resource_goes_back_as_invalid_target(browser, shop_a, resource):
    application, _ = shop_a

    response, params = _authorize(browser, application.client_id, [API, resource])

    assert response.status_code == 302
    answer = query(response["Location"])
    assert answer["error"] == "invalid_target"
    assert answer["state"] == params["state"]
    assert not Grant.objects.exists()


def test_without_resource_the_code_has_none(browser, shop_a):
    application, _ = shop_a

    response, _params = _authorize(browser, application.client_id, [])

    assert Grant.objects.get(code=query(response["Location"])["code"]).resource == []


def test_the_consent_form_carries_the_resources(browser, third_party):
    application, _ = third_party
    shown, params = _authorize(
        browser, application.client_id, [API, REPORTS], redirect_uri=PARTNER_CALLBACK
    )
    assert shown.status_code == 200
    assert f'name="resource" value="{API} {REPORTS}"' in shown.content.decode()

    allowed = browser.post(
        "/o/authorize/", {**params, "resource": f"{API} {REPORTS}", "allow": "Authorize"}
    )

    code = query(allowed["Location"])["code"]
    assert Grant.objects.get(code=code).resource == [API, REPORTS]
