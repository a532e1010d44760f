"""Query budgets of the sign-in callback and the back-channel logout receiver.

Exact statements, so that a repeated read or an extra write fails here. Each test runs inside a
transaction (pytest-django), so every transaction.atomic() adds a SAVEPOINT and a RELEASE that
a request in production, in autocommit, does not send (there the outermost block is
BEGIN/COMMIT, which Django does not log): `statements()` leaves them out and
`savepoints()` counts them.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sso_client.models import SSOSession
from tests.conftest import callback_query
from tests.test_backchannel import logout_claims, logout_token, post_logout

pytestmark = pytest.mark.django_db

DJANGO_DB_SESSIONS = "django.contrib.sessions.backends.db"
SAVEPOINT_SQL = ("SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.fixture
def rich_idp(idp):
    """The fake provider with profile claims in its ID tokens, as the identity server's."""
    idp.claims_in_id_token = True
    return idp


def statements(context: CaptureQueriesContext) -> list[str]:
    """Return each statement but savepoints as its verb and tables: "SELECT auth_user ..."."""
    found = []
    for query in context.captured_queries:
        sql = query["sql"]
        if sql.startswith(SAVEPOINT_SQL):
            continue
        tables = re.findall(r'(?:FROM|INTO|UPDATE|JOIN)\s+"(\w+)"', sql)
        found.append(" ".join([sql.split()[0], *dict.fromkeys(tables)]))
    return found


def savepoints(context: CaptureQueriesContext) -> int:
    """Return how many SAVEPOINT and RELEASE statements the test transaction added."""
    return sum(query["sql"].startswith(SAVEPOINT_SQL) for query in context.captured_queries)


def callback_measured(client, idp):
    """Sign in through the callback; return its response and the queries it sent."""
    query = callback_query(client, idp)
    with CaptureQueriesContext(connection) as context:
        response = client.get("/oidc/callback/", query)
    assert response.status_code == 302
    assert idp.urls_called("/o/userinfo/") == 0
    return response, context


def test_login_view_query_budget(client, idp):
    """The sign-in redirect stores its state in a new session: one INSERT, no lookup first."""
    with CaptureQueriesContext(connection) as context:
        response = client.get("/oidc/login/", {"next": "/"})

    assert response.status_code == 302
    assert statements(context) == ["INSERT django_session"]


def test_first_sign_in_query_budget(client, rich_idp):
    """A first sign-in creates the shadow in 8 statements, with no userinfo request.

    1-2. the session, read for the state, then again after the token exchange (what other
         tabs wrote meanwhile is kept);
    3.   the shadow and its IdentityLink, in one query: none;
    4-5. the shadow, last_login included, and its link (a transaction);
    6.   the SSOSession, one INSERT ... ON CONFLICT;
    7-8. the response stores the session under its new key (login()'s cycle_key), then
         deletes the old row: one write of the session, no UPDATE, no last_login UPDATE.
    """
    _, context = callback_measured(client, rich_idp)

    assert statements(context) == [
        "SELECT django_session",
        "SELECT django_session",
        "SELECT auth_user sso_client_identitylink",
        "INSERT auth_user",
        "INSERT sso_client_identitylink",
        "INSERT sso_client_ssosession",
        "INSERT django_session",
        "DELETE django_session",
    ]
    assert savepoints(context) == 4
    assert client.session["_auth_user_id"]
    assert client.session.session_key == SSOSession.objects.get().session_key


def test_returning_sign_in_query_budget(client, rich_idp):
    """A returning user signs in in 7 statements: the shadow is read once, written once.

    As a first sign-in, with the shadow's UPDATE (last_login, and what the claims changed) in
    place of the two INSERTs.
    """
    client.get("/oidc/callback/", callback_query(client, rich_idp))
    client.logout()
    rich_idp.calls.clear()

    _, context = callback_measured(client, rich_idp)

    assert statements(context) == [
        "SELECT django_session",
        "SELECT django_session",
        "SELECT auth_user sso_client_identitylink",
        "UPDATE auth_user",
        "INSERT sso_client_ssosession",
        "INSERT django_session",
        "DELETE django_session",
    ]


def test_first_sign_in_with_django_db_sessions(settings, client, rich_idp):
    """With Django's own db engine, login() writes the session at once: 11 statements.

    The new key is looked up before its INSERT, the old row read before its DELETE, and the
    response UPDATEs the session again (3 more than sso_client.session_engine).
    """
    settings.SESSION_ENGINE = DJANGO_DB_SESSIONS

    _, context = callback_measured(client, rich_idp)

    assert statements(context) == [
        "SELECT django_session",
        "SELECT django_session",
        "SELECT auth_user sso_client_identitylink",
        "INSERT auth_user",
        "INSERT sso_client_identitylink",
        "SELECT django_session",
        "INSERT django_session",
        "SELECT django_session",
        "DELETE django_session",
        "INSERT sso_client_ssosession",
        "UPDATE django_session",
    ]


def test_backchannel_logout_query_budget(signed_in_client, idp):
    """A logout token ends its session in 3 statements, in one transaction.

    The sessions of the sid and sub (1, through the shadow's IdentityLink), one DELETE per
    session (1, no read before it), the SSOSession rows (1).
    """
    session_key = signed_in_client.session.session_key
    token = logout_token(idp, logout_claims())

    with CaptureQueriesContext(connection) as context:
        response = post_logout(Client(), token)

    assert response.status_code == 200
    assert statements(context) == [
        "SELECT sso_client_ssosession auth_user sso_client_identitylink",
        "DELETE django_session",
        "DELETE sso_client_ssosession",
    ]
    assert not SSOSession.objects.filter(session_key=session_key).exists()
