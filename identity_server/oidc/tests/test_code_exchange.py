"""The code exchange: the code read once with its client, consumed in two statements."""

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from oidc.models import SessionGrant
from oidc.services.tokens import code_digest
from oidc.tests.flow import code_get, id_token_claims, pkce_make, token_exchange

pytestmark = pytest.mark.django_db


def test_a_redeemed_code_is_deleted_and_its_link_keeps_the_family(browser, shop_a):
    """The code goes; its IdP session link keeps the refresh family, for a replay to revoke."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    response = token_exchange(Client(), application.client_id, secret, code, pkce.verifier)

    assert response.status_code == 200
    assert not Grant.objects.exists()
    link = SessionGrant.objects.get(code_digest=code_digest(code))
    assert link.grant_id is None
    assert link.token_family == RefreshToken.objects.get().token_family
    assert link.session.sid == browser.session["idp_sid"]


def test_another_clients_code_is_refused_and_left_alone(browser, shop_a, shop_b):
    """A client authenticated as itself cannot redeem a code issued to another client.

    The code's client is read with the code; shop B's own credentials are checked against
    shop B, and the code stays for shop A.
    """
    application_a, secret_a = shop_a
    application_b, secret_b = shop_b
    pkce = pkce_make()
    code = code_get(browser, application_a.client_id, pkce)

    refused = token_exchange(Client(), application_b.client_id, secret_b, code, pkce.verifier)

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert Grant.objects.filter(code=code).exists()
    assert not RefreshToken.objects.exists()
    accepted = token_exchange(Client(), application_a.client_id, secret_a, code, pkce.verifier)
    assert accepted.status_code == 200


def test_the_codes_client_with_a_wrong_secret_is_refused(browser, shop_a):
    """The client read with the code still authenticates: a wrong secret is invalid_client."""
    application, _secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    response = token_exchange(Client(), application.client_id, "wrong", code, pkce.verifier)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert Grant.objects.filter(code=code).exists()
    assert not RefreshToken.objects.exists()


def test_the_id_token_is_signed_not_stored(browser, shop_a):
    """No row per ID token: its signature is what logout's id_token_hint check reads."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce)

    tokens = token_exchange(Client(), application.client_id, secret, code, pkce.verifier).json()

    assert not IDToken.objects.exists()
    assert AccessToken.objects.get().id_token_id is None
    assert id_token_claims(tokens["id_token"])["aud"] == application.client_id
    logout = browser.get(
        "/o/logout/",
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://localhost:8001/"},
    )
    assert logout.status_code == 302
    assert logout["Location"] == "http://localhost:8001/"
