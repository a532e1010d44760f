"""SSO_CLIENT["USERINFO"]: the callback asks the userinfo endpoint only for claims it lacks."""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from sso_client import constants as c
from sso_client.checks import check_sso_settings
from sso_client.tokens import userinfo_needed
from tests.conftest import alice_claims, callback_query
from tests.settings import SSO_CLIENT

User = get_user_model()


def sso_client(**overrides):
    return override_settings(SSO_CLIENT={**SSO_CLIENT, **overrides})


def always_callback(client, idp):
    """Sign in with USERINFO "always" and claims in the ID token; return the response."""
    idp.claims_in_id_token = True
    with sso_client(USERINFO="always"):
        response = client.get("/oidc/callback/", callback_query(client, idp))
    assert idp.urls_called("/o/userinfo/") == 1
    return response


@pytest.mark.django_db
def test_claims_in_the_id_token_spare_the_userinfo_request(client, idp):
    """The shadow is made from the signed ID token alone."""
    idp.claims_in_id_token = True

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert response.status_code == 302
    assert idp.urls_called("/o/userinfo/") == 0
    user = User.objects.get()
    assert (user.first_name, user.last_name, user.email) == (
        "Alice",
        "Liddell",
        "alice@example.com",
    )


@pytest.mark.django_db
def test_always_asks_userinfo_whose_claims_win(client, idp):
    idp.userinfo["given_name"] = "Alicia"

    response = always_callback(client, idp)

    assert response.status_code == 302
    assert User.objects.get().first_name == "Alicia"


@pytest.mark.django_db
def test_userinfo_of_another_subject_still_fails_when_asked(client, idp):
    """When userinfo is asked, its sub must be the ID token's (OIDC Core §5.3.2)."""
    idp.id_token_overrides["sub"] = "someone-else"

    response = always_callback(client, idp)

    assert response.status_code == 400
    assert User.objects.count() == 0


def test_a_claim_of_each_scope_is_enough():
    """A provider leaves empty claims out: one claim per scope shows the scope is there."""
    assert userinfo_needed(id_claims={"sub": "a", "email_verified": False, "locale": "en"}) is False


@pytest.mark.parametrize(
    ("scopes", "claims"),
    [
        ("openid email profile", {"sub": "a", "email": "a@example.com"}),  # no profile claim
        ("openid email groups", {"sub": "a", "email": "a@example.com"}),  # no GROUPS_CLAIM
        ("openid email loyalty", {"sub": "a", "email": "a@example.com"}),  # claims unknown
    ],
)
def test_a_scope_without_its_claims_needs_userinfo(scopes, claims):
    with sso_client(SCOPES=scopes):
        assert userinfo_needed(id_claims=claims) is True


def test_groups_scope_is_met_by_the_groups_claim_even_empty():
    claims = {**alice_claims(), "roles": []}

    with sso_client(SCOPES="openid email profile groups", GROUPS_CLAIM="roles"):
        assert userinfo_needed(id_claims=claims) is False


def test_an_unknown_userinfo_value_is_a_check_error():
    with sso_client(USERINFO="sometimes"):
        errors = check_sso_settings()

    assert [(error.id, error.msg) for error in errors] == [
        ("sso_client.E011", 'SSO_CLIENT["USERINFO"] must be "when-needed" or "always".')
    ]


def test_userinfo_defaults_to_when_needed():
    from sso_client.conf import sso_settings

    assert sso_settings.USERINFO == c.USERINFO_WHEN_NEEDED
