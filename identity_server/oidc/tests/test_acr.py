"""How the user signed in (RFC 8176 amr, acr) and step-up with acr_values."""

import pytest
from django.test import Client

from oidc import constants
from oidc.models import IdPSession
from oidc.tests.flow import authorize_params, id_token_claims, pkce_make, query, tokens_get

pytestmark = pytest.mark.django_db

TWO_FACTORS = ["otp", "pwd", "mfa"]


def _two_factor_session(browser: Client) -> None:
    """Make the browser's sign-in a two-factor one, as the second step would record it."""
    session = browser.session
    session[constants.SESSION_AMR_KEY] = TWO_FACTORS
    session.save()
    IdPSession.objects.update(amr=TWO_FACTORS)


def test_a_password_sign_in_is_single_factor_in_the_id_token(browser, shop_a):
    """amr says pwd, acr says one factor."""
    application, secret = shop_a

    claims = id_token_claims(tokens_get(browser, application.client_id, secret)["id_token"])

    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == constants.ACR_SINGLE_FACTOR


def test_a_two_factor_sign_in_says_mfa_in_the_id_token(browser, shop_a):
    """The amr recorded on the IdP session reaches the ID token, with the MFA acr."""
    application, secret = shop_a
    _two_factor_session(browser)

    claims = id_token_claims(tokens_get(browser, application.client_id, secret)["id_token"])

    assert claims["amr"] == TWO_FACTORS
    assert claims["acr"] == constants.ACR_MFA


def test_acr_values_asking_for_mfa_sends_a_password_session_to_sign_in_again(browser, shop_a):
    """Step-up: a single-factor session gets no code; the user is asked to sign in again."""
    application, _ = shop_a
    params = authorize_params(application.client_id, pkce_make(), acr_values=constants.ACR_MFA)

    response = browser.get("/o/authorize/", params)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")
    assert constants.REAUTH_PARAM in query(query(response["Location"])["next"])


def test_acr_values_asking_for_mfa_with_prompt_none_answers_login_required(browser, shop_a):
    """A silent request cannot step up: login_required goes back to the client."""
    application, _ = shop_a
    params = authorize_params(
        application.client_id, pkce_make(), acr_values=constants.ACR_MFA, prompt="none"
    )

    response = browser.get("/o/authorize/", params)

    assert query(response["Location"])["error"] == "login_required"


def test_acr_values_asking_for_mfa_is_satisfied_by_a_two_factor_session(browser, shop_a):
    """A session that already used two factors answers with a code at once."""
    application, _ = shop_a
    _two_factor_session(browser)
    params = authorize_params(application.client_id, pkce_make(), acr_values=constants.ACR_MFA)

    response = browser.get("/o/authorize/", params)

    assert "code" in query(response["Location"])


def test_acr_values_asking_for_one_factor_needs_nothing_more(browser, shop_a):
    """Asking for the single-factor acr is already satisfied by a password sign-in."""
    application, _ = shop_a
    params = authorize_params(
        application.client_id, pkce_make(), acr_values=constants.ACR_SINGLE_FACTOR
    )

    response = browser.get("/o/authorize/", params)

    assert "code" in query(response["Location"])


def test_discovery_lists_the_acr_values_and_the_amr_claim(client):
    """Clients learn which acr_values they may ask for."""
    metadata = client.get("/o/.well-known/openid-configuration").json()

    assert metadata["acr_values_supported"] == list(constants.ACR_VALUES_SUPPORTED)
    assert {"amr", "acr"} <= set(metadata["claims_supported"])
