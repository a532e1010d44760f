"""POST /api/service/users/lookup/: a shop's migration tool links its users by email."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from oauth2_provider.models import AccessToken

from api.selectors import users_lookup_by_email
from oidc.services.clients import client_update
from oidc.tests.flow import client_credentials_token, code_get, pkce_make, token_exchange

User = get_user_model()
pytestmark = pytest.mark.django_db

URL = "/api/service/users/lookup/"


def lookup(body, token: str | None = None, content_type: str = "application/json"):
    """POST ``body`` (JSON-encoded unless already a string) with an optional bearer token."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(URL, data, content_type=content_type, **headers)


@pytest.fixture
def service_token(service_shop) -> str:
    """An access token shop A's tool obtained for itself (client credentials, users:read)."""
    application, secret = service_shop
    response = client_credentials_token(application.client_id, secret, scope="users:read")
    assert response.status_code == 200
    return response.json()["access_token"]


@pytest.fixture
def people(make_user) -> dict[str, User]:
    """Alice (verified), Bob (deactivated, verified), Carol (not verified)."""
    return {
        "alice": make_user(email="Alice@Example.com", email_verified=True),
        "bob": make_user(email="bob@example.com", email_verified=True, is_active=False),
        "carol": make_user(email="carol@example.com"),
    }


def test_lookup_finds_users_case_insensitively(service_token, people):
    """Matches ignore case, each user once; unknown emails come back as sent."""
    response = lookup(
        {
            "emails": [
                "ALICE@example.COM",
                "nobody@example.com",
                "bob@example.com",
                "alice@example.com",
                "Nobody@Example.com",
                "carol@example.com",
                "nobody@example.com",
            ]
        },
        service_token,
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "users": [
            {
                "email": "alice@example.com",
                "sub": str(people["alice"].sub),
                "email_verified": True,
                "is_active": True,
            },
            {
                "email": "bob@example.com",
                "sub": str(people["bob"].sub),
                "email_verified": True,
                "is_active": False,
            },
            {
                "email": "carol@example.com",
                "sub": str(people["carol"].sub),
                "email_verified": False,
                "is_active": True,
            },
        ],
        "unknown": ["nobody@example.com", "Nobody@Example.com"],
    }


def test_lookup_of_nobody_known(service_token, people):
    """No match at all: an empty user list, every email unknown."""
    response = lookup({"emails": ["x@example.net", ""]}, service_token)

    assert response.status_code == 200
    assert response.json() == {"users": [], "unknown": ["x@example.net", ""]}


def test_lookup_takes_500_emails(service_token, people):
    """The largest batch is answered."""
    emails = [f"user{n}@example.net" for n in range(499)] + ["carol@example.com"]

    response = lookup({"emails": emails}, service_token)

    assert response.status_code == 200
    assert [user["email"] for user in response.json()["users"]] == ["carol@example.com"]
    assert len(response.json()["unknown"]) == 499


def test_a_batch_is_one_query(people, django_assert_num_queries):
    """The selector reads every user of a batch in a single query."""
    emails = ["alice@example.com", "BOB@example.com", "nobody@example.com"]

    with django_assert_num_queries(1):
        result = users_lookup_by_email(emails=emails)

    assert [user.email for user in result.users] == ["alice@example.com", "bob@example.com"]
    assert result.unknown == ["nobody@example.com"]


def test_without_a_token_is_401_with_a_bearer_challenge(people):
    """No credentials: 401, a bare Bearer challenge, no user data."""
    response = lookup({"emails": ["alice@example.com"]})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_an_unknown_token_is_401_invalid_token(people):
    """A token the server never issued is invalid_token."""
    response = lookup({"emails": ["alice@example.com"]}, "not-a-token")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api",error="invalid_token"')
    assert response.json()["error"] == "not_authenticated"
    assert "users" not in response.json()


def test_a_users_own_access_token_is_insufficient_scope(browser, shop_a):
    """A user's token from the code flow opens no service API: 403 insufficient_scope."""
    application, secret = shop_a
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope="openid email profile")
    token = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()[
        "access_token"
    ]

    response = lookup({"emails": ["alice@example.com"]}, token)

    assert response.status_code == 403
    assert response["Cache-Control"] == "no-store"
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="users:read"'
    )
    assert response.json() == {
        "error": "insufficient_scope",
        "detail": "This needs an access token from the client credentials grant with scope "
        "users:read.",
    }


def test_a_users_token_carrying_the_scope_is_still_refused(browser, service_shop):
    """Defence in depth: a user's token with users:read (forged in the database) is refused."""
    application, secret = service_shop
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope="openid")
    token = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()[
        "access_token"
    ]
    AccessToken.objects.update(scope="openid users:read")

    response = lookup({"emails": ["alice@example.com"]}, token)

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_a_service_token_without_the_scope_is_refused(service_token, people):
    """A client's own token without users:read is 403 insufficient_scope."""
    AccessToken.objects.update(scope="other")

    response = lookup({"emails": ["alice@example.com"]}, service_token)

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_a_withdrawn_service_scope_ends_the_token(service_shop, service_token, people):
    """Once the client's service scopes are cleared, its token no longer works."""
    application, _secret = service_shop
    client_update(client_id=application.client_id, service_scopes=[])

    response = lookup({"emails": ["alice@example.com"]}, service_token)

    assert response.status_code == 401
    assert "users" not in response.json()


NOT_A_DICT = "Invalid data. Expected a dictionary, but got list."


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, {"emails": ["This field is required."]}),
        ({"emails": []}, {"emails": ["This list may not be empty."]}),
        ({"emails": "a@x.example"}, {"emails": ['Expected a list of items but got type "str".']}),
        ({"emails": [1]}, {"emails": {"0": ["Not a valid string."]}}),
        ({"emails": [None]}, {"emails": {"0": ["This field may not be null."]}}),
        (
            {"emails": ["a" * 255]},
            {"emails": {"0": ["Ensure this field has no more than 254 characters."]}},
        ),
        ({"emails": ["a\x00@x.example"]}, {"emails": {"0": ["Null characters are not allowed."]}}),
        (
            {"emails": [f"u{n}@example.net" for n in range(501)]},
            {"emails": ["Ensure this field has no more than 500 elements."]},
        ),
        (["alice@example.com"], {"non_field_errors": [NOT_A_DICT]}),
    ],
    ids=["missing", "empty", "string", "number", "null", "too-long", "nul", "501", "list-body"],
)
def test_a_malformed_body_is_400_with_a_reason(service_token, people, body, detail):
    """Anything but 1 to 500 strings is refused with the reason, and no user data."""
    response = lookup(body, service_token)

    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"error": "invalid", "detail": detail}


def test_broken_json_is_400(service_token):
    """A body that is not JSON is a parse error."""
    response = lookup('{"emails": [', service_token)

    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


def test_a_form_body_is_not_read(service_token, people):
    """Only JSON is read: a form-encoded body finds no ``emails`` and is a 400."""
    response = Client().post(
        URL, {"emails": "alice@example.com"}, HTTP_AUTHORIZATION=f"Bearer {service_token}"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "detail": {"emails": ["This field is required."]},
    }


def test_emails_in_the_url_are_not_read(service_token, people):
    """GET is not allowed: emails never travel in a URL."""
    response = Client().get(
        URL, {"emails": "alice@example.com"}, HTTP_AUTHORIZATION=f"Bearer {service_token}"
    )

    assert response.status_code == 405
    assert "users" not in response.json()


def test_me_refuses_a_service_token(service_token):
    """/api/me/ describes a token's user; a client's own token has none: 403, not a 500."""
    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {service_token}")

    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


def test_me_refuses_a_service_token_even_with_openid(service_token):
    """Even a client's token carrying openid (forged in the database) gets no claims."""
    AccessToken.objects.update(scope="openid users:read")

    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {service_token}")

    assert response.status_code == 403
    assert "sub" not in response.json()
