"""Query budgets of the sign-in callback and the back-channel logout receiver.

Exact counts, so that a repeated read or an extra write fails here. Each test runs inside a
transaction (pytest-django), so every transaction.atomic() adds a SAVEPOINT and a RELEASE that
a request in production, in autocommit, does not send.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sso_client.models import SSOSession
from tests.conftest import callback_query
from tests.test_backchannel import logout_claims, logout_token, post_logout

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_idp(idp):
    """The fake provider with profile claims in its ID tokens, as the identity server's."""
    idp.claims_in_id_token = True
    return idp


def session_writes(context: CaptureQueriesContext) -> list[str]:
    """Return the INSERT and UPDATE statements on the session table, by their first word."""
    statements = [query["sql"] for query in context.captured_queries]
    return [
        sql.split()[0]
        for sql in statements
        if sql.startswith(("INSERT", "UPDATE")) and '"django_session"' in sql.split("(")[0]
    ]


def callback_measured(client, idp):
    """Sign in through the callback; return its response and the queries it sent."""
    query = callback_query(client, idp)
    with CaptureQueriesContext(connection) as context:
        response = client.get("/oidc/callback/", query)
    assert response.status_code == 302
    assert idp.urls_called("/o/userinfo/") == 0
    return response, context


def test_first_sign_in_query_budget(client, rich_idp):
    """A first sign-in creates the shadow in 18 queries, with no userinfo request.

    The session is read before and after the token exchange (2), the shadow looked up (1),
    created with its link (2 + 2 savepoint), login() rotates the key (exists check, INSERT,
    read and DELETE of the old row + 2 savepoint) and sets last_login (1), the SSOSession is
    one INSERT ... ON CONFLICT (1) and the response saves the session (1 + 2 savepoint).
    """
    _, context = callback_measured(client, rich_idp)

    assert len(context.captured_queries) == 18
    assert session_writes(context) == ["INSERT", "UPDATE"]
    assert client.session["_auth_user_id"]


def test_returning_sign_in_query_budget(client, rich_idp):
    """A returning user signs in in 16 queries: the shadow and its link are read once."""
    client.get("/oidc/callback/", callback_query(client, rich_idp))
    client.logout()
    rich_idp.calls.clear()

    _, context = callback_measured(client, rich_idp)

    # 18 less the shadow's INSERTs, 1 more savepoint pair around the (unchanged) shadow update.
    assert len(context.captured_queries) == 16
    assert session_writes(context) == ["INSERT", "UPDATE"]


def test_backchannel_logout_query_budget(signed_in_client, idp):
    """A logout token ends its session in 6 queries.

    In one transaction (2 savepoint): the sessions of the sid (1), the session store's delete
    of each (read and DELETE: 2), the SSOSession rows (1).
    """
    session_key = signed_in_client.session.session_key
    token = logout_token(idp, logout_claims())

    with CaptureQueriesContext(connection) as context:
        response = post_logout(Client(), token)

    assert response.status_code == 200
    assert len(context.captured_queries) == 6
    assert not SSOSession.objects.filter(session_key=session_key).exists()
