"""Consent for third-party clients: asked once per scope set, remembered, withdrawable."""

import pytest
from django.test import Client
from oauth2_provider.models import Grant

from audit.models import AuditEvent
from oidc.models import Consent
from oidc.services.consent import consent_withdraw
from oidc.tests.flow import authorize_params, pkce_make, query, token_exchange

pytestmark = pytest.mark.django_db

PARTNER_CALLBACK = "https://partner.example.net/callback"


def _authorize(browser: Client, client_id: str, **overrides: str):
    params = authorize_params(client_id, pkce_make(), redirect_uri=PARTNER_CALLBACK, **overrides)
    return browser.get("/o/authorize/", params), params


def _allow(browser: Client, params: dict[str, str]):
    """Submit the consent form as the browser would, with "Allow"."""
    form = {key: params[key] for key in params if key != "prompt"}
    return browser.post("/o/authorize/", {**form, "allow": "Authorize"})


def test_third_party_asks_consent_then_remembers_it(browser, user, third_party):
    """The first request shows the form; after "Allow", the same scopes go through silently."""
    application, _ = third_party

    first, params = _authorize(browser, application.client_id, scope="openid email")
    allowed = _allow(browser, params)
    second, _ = _authorize(browser, application.client_id, scope="openid email", prompt="none")

    assert first.status_code == 200
    assert "Allow Partner App to use your account?" in first.content.decode()
    assert "code" in query(allowed["Location"])
    assert Consent.objects.get(user=user, application=application).scopes == "email openid"
    assert "code" in query(second["Location"])


def test_more_scopes_ask_again(browser, third_party):
    """Consent covers the scopes allowed; a request for more shows the form again."""
    application, _ = third_party
    _first, params = _authorize(browser, application.client_id, scope="openid")
    _allow(browser, params)

    wider, _ = _authorize(browser, application.client_id, scope="openid email")

    assert wider.status_code == 200
    assert "Your email address" in wider.content.decode()


def test_deny_remembers_nothing(browser, third_party):
    """ "Deny" sends access_denied back and stores no consent."""
    application, _ = third_party
    _first, params = _authorize(browser, application.client_id)
    form = {key: params[key] for key in params}

    denied = browser.post("/o/authorize/", form)

    assert query(denied["Location"])["error"] == "access_denied"
    assert not Consent.objects.exists()
    assert not Grant.objects.exists()


def test_prompt_consent_shows_the_form_even_when_remembered(browser, third_party):
    """prompt=consent asks again although the scopes were allowed before."""
    application, _ = third_party
    _first, params = _authorize(browser, application.client_id)
    _allow(browser, params)

    again, _ = _authorize(browser, application.client_id, prompt="consent")

    assert again.status_code == 200
    assert "Allow Partner App to use your account?" in again.content.decode()
    assert Grant.objects.count() == 1  # the first one only


def test_withdrawn_consent_is_asked_again(browser, user, third_party):
    """Once withdrawn, the client needs the user's consent again."""
    application, _ = third_party
    _first, params = _authorize(browser, application.client_id)
    _allow(browser, params)

    assert consent_withdraw(user=user, application=application) is True
    again, _ = _authorize(browser, application.client_id, prompt="none")

    assert query(again["Location"])["error"] == "consent_required"


def test_a_tampered_client_id_in_the_consent_form_is_a_clear_error(browser, third_party):
    """The form's hidden client_id changed to an unknown one: error page, not a 500."""
    application, _ = third_party
    _first, params = _authorize(browser, application.client_id)

    response = browser.post(
        "/o/authorize/", {**params, "client_id": "no-such-client", "allow": "Authorize"}
    )

    assert response.status_code == 400
    assert not Consent.objects.exists()


def test_first_party_shops_never_ask(browser, shop_a):
    """A first-party shop gets a code without a consent form, and no consent row."""
    application, _ = shop_a

    response = browser.get(
        "/o/authorize/", authorize_params(application.client_id, pkce_make(), prompt="consent")
    )

    assert "code" in query(response["Location"])
    assert not Consent.objects.exists()


def test_revoking_an_application_on_the_applications_page_ends_its_access(
    browser, user, third_party
):
    """The applications page lists the allowed application; "Revoke" forgets consent and tokens."""
    application, secret = third_party
    pkce = pkce_make()
    params = authorize_params(application.client_id, pkce, redirect_uri=PARTNER_CALLBACK)
    browser.get("/o/authorize/", params)
    allowed = _allow(browser, params)
    tokens = token_exchange(
        browser,
        application.client_id,
        secret,
        query(allowed["Location"])["code"],
        pkce.verifier,
        redirect_uri=PARTNER_CALLBACK,
    ).json()
    page = browser.get("/account/applications/").content.decode()

    revoked = browser.post(f"/account/applications/{application.client_id}/revoke/", follow=True)

    userinfo = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert "Partner App" in page
    assert "Partner App can no longer use your account." in revoked.content.decode()
    assert revoked.redirect_chain == [("/account/applications/", 302)]
    assert not Consent.objects.exists()
    assert userinfo.status_code == 401
    assert AuditEvent.objects.filter(kind="consent_withdrawn", subject_user=user).count() == 1


def test_a_consent_post_without_the_form_is_refused(browser, third_party):
    """A hand-made "Allow" that skipped the authorization request's checks gets no code."""
    application, _ = third_party
    params = authorize_params(application.client_id, pkce_make(), redirect_uri=PARTNER_CALLBACK)

    response = browser.post("/o/authorize/", {**params, "allow": "Authorize"})

    assert response.status_code == 400
    assert "consent form has expired" in response.content.decode()
    assert not Grant.objects.exists()
    assert not Consent.objects.exists()


def test_a_consent_form_is_used_once(browser, third_party):
    """Submitting the same form twice issues one code."""
    application, _ = third_party
    _first, params = _authorize(browser, application.client_id)

    first = _allow(browser, params)
    second = _allow(browser, params)

    assert "code" in query(first["Location"])
    assert second.status_code == 400
    assert Grant.objects.count() == 1
