"""What a silent sign-in costs shop B in SQL: the bench's "silent sign-in at the second shop".

A browser signed in at the identity server (and at shop A) follows shop B's sign-in link: B's
login view, the provider's authorize answering without a prompt (the fake provider here), B's
callback, then B's catalog. The person has no shadow at B yet, as in the bench. The
discovery document and the keys are cached already, as on a running server.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sso_client.testing import FakeIdP, alice_claims, callback_query

pytestmark = pytest.mark.django_db


def statements(context: CaptureQueriesContext) -> list[str]:
    """Return each statement but savepoints as its verb and first table: "SELECT auth_user"."""
    found = []
    for query in context.captured_queries:
        sql = query["sql"]
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            table = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
            found.append(f"{sql.split()[0]} {table.group(1) if table else ''}")
    return found


def silent_sign_in(fake_idp: FakeIdP) -> tuple[list[str], list[str], list[str]]:
    """Sign a new browser in at shop B; return the statements of login, callback and landing."""
    call_command("seed_demo", stdout=StringIO())
    warm = Client()  # another person's sign-in: discovery and keys are cached now
    assert warm.get("/oidc/callback/", callback_query(warm, fake_idp)).status_code == 302
    fake_idp.userinfo = alice_claims(sub="a-person-new-at-shop-b")
    browser = Client()

    with CaptureQueriesContext(connection) as login:
        authorize = browser.get("/oidc/login/", {"next": "/"})
    query = fake_idp.authorize(authorize["Location"])
    with CaptureQueriesContext(connection) as callback:
        landing = browser.get("/oidc/callback/", query)
    with CaptureQueriesContext(connection) as page:
        response = browser.get(landing["Location"])

    assert landing["Location"] == "/"
    assert response.status_code == 200
    assert '<span class="user-name">Alice Liddell</span>' in response.content.decode()
    assert response.wsgi_request.user.get_username() == "a-person-new-at-shop-b"
    assert fake_idp.urls_called("/o/userinfo/") == 0
    return statements(login), statements(callback), statements(page)


def test_silent_sign_in_costs_shop_b_14_statements(settings, fake_idp: FakeIdP) -> None:
    """With the shops' session engine (sso_client's): 1 + 8 + 5 statements.

    Django's db engine would cost 4 more (sso_client's tests count them).

    Login: the new session's INSERT (state, nonce, PKCE verifier). Callback: the session read
    for the state and again after the token exchange, the shadow looked up with its link, the
    shadow (last_login included) and its IdentityLink, the SSOSession, the session under its
    new key and the old row's DELETE. Landing: the session, the catalog's only page (no
    COUNT), the user with its link, the cart count, the categories.
    """
    assert settings.SESSION_ENGINE == "sso_client.session_engine"

    login, callback, landing = silent_sign_in(fake_idp)

    assert login == ["INSERT django_session"]
    assert callback == [
        "SELECT django_session",
        "SELECT django_session",
        "SELECT auth_user",
        "INSERT auth_user",
        "INSERT sso_client_identitylink",
        "INSERT sso_client_ssosession",
        "INSERT django_session",
        "DELETE django_session",
    ]
    assert landing == [
        "SELECT django_session",
        "SELECT shop_product",
        "SELECT auth_user",
        "SELECT shop_cartitem",
        "SELECT shop_category",
    ]
