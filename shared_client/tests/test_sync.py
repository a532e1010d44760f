"""manage.py sso_sync: shadows repaired from the provider's list of changed users."""

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sso_client import constants as c
from sso_client.models import IdentityLink, SSOSession, SyncState
from sso_client.provisioning import shadow_user_changes, shadow_user_sync
from sso_client.signals import sso_event_received
from tests.conftest import CLIENT_ID, CLIENT_SECRET, ISSUER, alice_claims
from tests.testapp.models import Order

User = get_user_model()
pytestmark = pytest.mark.django_db

ALICE_SUB = "2f7c1e0a-0000-4000-8000-000000000001"
BOB_SUB = "9b1d0000-0000-4000-8000-000000000002"
STRANGER_SUB = "5e7e0000-0000-4000-8000-000000000003"
CHANGES_PATH = "/api/service/users/changes/"
TOKEN_PATH = "/o/token/"
CHANGED_AT = datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)


def entry(claims: dict[str, Any], *, active: bool = True, at: datetime = CHANGED_AT) -> dict:
    """A live account's entry, as the provider lists it."""
    return {**claims, "active": active, "deleted": False, "updated_at": at.isoformat()}


def tombstone(sub: str, *, at: datetime = CHANGED_AT) -> dict:
    """A deleted account's entry."""
    return {"sub": sub, "active": False, "deleted": True, "updated_at": at.isoformat()}


def _response(request: requests.PreparedRequest, status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.url, response.request, response.status_code = request.url, request, status
    response.headers["Content-Type"] = "application/json"
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return response


@dataclass
class ChangesFeed:
    """The provider's reconcile list: `entries` in order, cursors `c<index>`."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    # What each changes request asked: (cursor, limit).
    asked: list[tuple[str | None, int]] = field(default_factory=list)
    # Answer the n-th changes request (0-based) with (status, body) instead.
    answers: dict[int, tuple[int, Any]] = field(default_factory=dict)
    token_answer: tuple[int, Any] | None = None

    def token(self, request: requests.PreparedRequest) -> tuple[int, Any]:
        """The client-credentials grant for users:sync, client_secret_basic."""
        form = {k: v[0] for k, v in parse_qs(request.body or "").items()}
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.token_answer is not None:
            return self.token_answer
        if request.headers.get("Authorization") != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        if form.get("scope") != "users:sync":
            return 400, {"error": "invalid_scope"}
        self.tokens.append(f"sync-token-{len(self.tokens)}")
        return 200, {"access_token": self.tokens[-1], "token_type": "Bearer", "expires_in": 300}

    def changes(self, request: requests.PreparedRequest) -> tuple[int, Any]:
        """GET ?cursor=&limit= with a bearer token."""
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        cursor, limit = query.get("cursor"), int(query["limit"])
        self.asked.append((cursor, limit))
        if len(self.asked) - 1 in self.answers:
            return self.answers[len(self.asked) - 1]
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, {"error": "not_authenticated", "detail": "Invalid token."}
        if cursor is not None and not (cursor.startswith("c") and cursor[1:].isdigit()):
            detail = {"cursor": ["Not a cursor this server issued; start again without one."]}
            return 400, {"error": "invalid", "detail": detail}
        start = int(cursor[1:]) if cursor else 0
        page = self.entries[start : start + limit]
        end = start + len(page)
        return 200, {
            "users": page,
            "next_cursor": f"c{end}",
            "has_more": end < len(self.entries),
        }


@pytest.fixture
def feed(idp, monkeypatch) -> ChangesFeed:
    """The fake provider, answering the reconcile list and users:sync tokens too."""
    feed = ChangesFeed()
    handle = idp.handle

    def handle_with_changes(request: requests.PreparedRequest, timeout: Any) -> requests.Response:
        path = urlparse(request.url).path
        body = request.body or ""
        if path == TOKEN_PATH and "users%3Async" in (body if isinstance(body, str) else ""):
            return _response(request, *feed.token(request))
        if path == CHANGES_PATH and request.method == "GET":
            return _response(request, *feed.changes(request))
        return handle(request, timeout)

    monkeypatch.setattr(idp, "handle", handle_with_changes)
    return feed


def run(*args: str) -> str:
    """Run the command; return what it printed on stdout."""
    out = StringIO()
    call_command("sso_sync", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def shadow(claims: dict[str, Any] | None = None):
    """Alice's shadow as a sign-in leaves it."""
    return shadow_user_sync(issuer=ISSUER, claims=claims or alice_claims())


def state() -> list[tuple]:
    """Everything sso_sync may change at this site."""
    users = sorted(
        User.objects.values_list(
            "pk", "email", "first_name", "last_name", "is_active", "is_staff", "password"
        )
    )
    links = sorted(IdentityLink.objects.values_list("user_id", "sub", "picture", "last_event_at"))
    return [users, links, list(SyncState.objects.values_list("issuer", "cursor"))]


@pytest.fixture
def drifted(feed):
    """Alice's shadow edited by hand at the shop; the provider lists Alice and a stranger."""
    user = shadow()
    User.objects.filter(pk=user.pk).update(first_name="Hacked", email="mallory@example.com")
    feed.entries = [entry(alice_claims()), entry(alice_claims(sub=STRANGER_SUB))]
    return user


# Dry run -------------------------------------------------------------------------------------


def test_dry_run_reports_a_hand_edited_shadow_and_changes_nothing(drifted, feed):
    """The JSON diff names each field with its local and provider value; nothing is written."""
    before = state()

    report = json.loads(run("--dry-run"))

    assert report == {
        "changes": [
            {
                "sub": ALICE_SUB,
                "user_id": drifted.pk,
                "fields": {
                    "first_name": ["Hacked", "Alice"],
                    "email": ["mallory@example.com", "alice@example.com"],
                },
            }
        ],
        "scanned": 2,
        "cursor": "c2",
    }
    assert state() == before
    assert SyncState.objects.count() == 0


def test_dry_run_of_a_deleted_account_shows_the_anonymisation(feed):
    """A tombstone would blank the personal fields and the picture, and deactivate."""
    user = shadow()
    feed.entries = [tombstone(ALICE_SUB)]

    report = json.loads(run("--dry-run"))

    assert report["changes"] == [
        {
            "sub": ALICE_SUB,
            "user_id": user.pk,
            "fields": {
                "is_active": [True, False],
                "email": ["alice@example.com", ""],
                "first_name": ["Alice", ""],
                "last_name": ["Liddell", ""],
                "picture": ["https://idp.test/media/avatars/alice.png", ""],
            },
        }
    ]
    assert User.objects.get(pk=user.pk).is_active is True


def test_a_local_password_is_reported_never_its_hash(feed):
    """A usable password set by hand on a shadow is drift: reported as a mark, then removed."""
    user = shadow()
    user.set_password("set-by-hand")
    user.save()
    feed.entries = [entry(alice_claims())]

    report = json.loads(run("--dry-run"))
    run()

    assert report["changes"][0]["fields"] == {"password": ["usable", "unusable"]}
    assert User.objects.get(pk=user.pk).has_usable_password() is False


def test_shadow_user_changes_matches_what_a_sign_in_sets(settings):
    """The diff and the update agree: after the update there is nothing left to change."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "STAFF_GROUPS": ["shop-staff"]}
    user = shadow()
    link = IdentityLink.objects.select_related("user").get(user=user)
    claims = alice_claims(given_name="A" * 300, groups=["shop-staff"], picture="javascript:x")

    changes = shadow_user_changes(link=link, claims=claims)
    shadow_user_sync(issuer=ISSUER, claims=claims)
    link = IdentityLink.objects.select_related("user").get(user=user)

    assert changes == {
        "first_name": ("Alice", "A" * 150),
        "is_staff": (False, True),
        "picture": ("https://idp.test/media/avatars/alice.png", ""),
    }
    assert shadow_user_changes(link=link, claims=claims) == {}


# Real run ------------------------------------------------------------------------------------


def test_a_run_repairs_and_a_second_run_changes_nothing(drifted, feed):
    """The shadow gets the provider's values, the cursor is stored, the next run is a no-op."""
    first = run()
    after_first = state()
    second = run()

    user = User.objects.get(pk=drifted.pk)
    assert (user.first_name, user.email) == ("Alice", "alice@example.com")
    assert first == f"Repaired 1 shadow(s); 2 user(s) read from {ISSUER} in 1 page(s).\n"
    assert second == f"Repaired 0 shadow(s); 0 user(s) read from {ISSUER} in 1 page(s).\n"
    assert feed.asked == [(None, 200), ("c2", 200)]
    assert state() == after_first
    assert SyncState.objects.get(issuer=ISSUER).cursor == "c2"


def test_full_starts_again_from_the_top_and_still_changes_nothing(drifted, feed):
    """--full reads everyone again; shadows already right are left alone."""
    run()
    after_first = state()

    output = run("--full")

    assert feed.asked[-1] == (None, 200)
    assert output == f"Repaired 0 shadow(s); 2 user(s) read from {ISSUER} in 1 page(s).\n"
    assert state() == after_first


def test_since_starts_after_the_given_cursor(drifted, feed):
    """--since CURSOR overrides the stored cursor."""
    SyncState.objects.create(issuer=ISSUER, cursor="c0")

    run("--since", "c1")

    assert feed.asked == [("c1", 200)]
    assert User.objects.get(pk=drifted.pk).first_name == "Hacked"  # Alice was entry 0
    assert SyncState.objects.get().cursor == "c2"


def test_pages_are_read_until_has_more_is_false(feed):
    """--page-size N asks N at a time; each page's cursor is stored as it is applied."""
    users = [shadow(alice_claims(sub=f"sub-{n}", given_name="Old")) for n in range(5)]
    feed.entries = [entry(alice_claims(sub=f"sub-{n}")) for n in range(5)]

    output = run("--page-size", "2")

    assert feed.asked == [(None, 2), ("c2", 2), ("c4", 2)]
    assert output == f"Repaired 5 shadow(s); 5 user(s) read from {ISSUER} in 3 page(s).\n"
    assert {User.objects.get(pk=user.pk).first_name for user in users} == {"Alice"}


def test_groups_set_the_staff_flags_as_a_sign_in_does(feed, settings):
    """A group granted at the provider makes the shadow staff; taken away, not any more."""
    settings.SSO_CLIENT = {
        **settings.SSO_CLIENT,
        "STAFF_GROUPS": ["shop-staff", "shop-admins"],
        "SUPERUSER_GROUPS": ["shop-admins"],
    }
    user = shadow()
    feed.entries = [entry(alice_claims(groups=["shop-admins"]))]

    run()
    promoted = User.objects.get(pk=user.pk)
    feed.entries.append(entry(alice_claims(groups=[]), at=CHANGED_AT + timedelta(seconds=1)))
    run()
    demoted = User.objects.get(pk=user.pk)

    assert (promoted.is_staff, promoted.is_superuser) == (True, True)
    assert (demoted.is_staff, demoted.is_superuser) == (False, False)


def test_a_deleted_account_is_anonymised_and_signed_out_its_orders_stay(signed_in_client, feed):
    """Tombstone: inactive, anonymised, signed out; the user row and its orders stay."""
    user = User.objects.get(sso_identity__sub=ALICE_SUB)
    Order.objects.create(user=user, number="A-1")
    assert SSOSession.objects.filter(user=user).count() == 1
    feed.entries = [tombstone(ALICE_SUB)]

    run()

    user.refresh_from_db()
    assert (user.is_active, user.email, user.first_name, user.last_name) == (False, "", "", "")
    assert IdentityLink.objects.get(user=user).picture == ""
    assert list(Order.objects.filter(user=user).values_list("number", flat=True)) == ["A-1"]
    assert SSOSession.objects.filter(user=user).count() == 0
    assert Session.objects.count() == 0


def test_a_deactivated_account_loses_its_sessions_and_comes_back(signed_in_client, feed):
    """active false: shadow inactive and signed out; active again: the shadow is active."""
    user = User.objects.get(sso_identity__sub=ALICE_SUB)
    feed.entries = [entry(alice_claims(), active=False)]

    run()
    deactivated = User.objects.get(pk=user.pk)
    feed.entries.append(entry(alice_claims(), at=CHANGED_AT + timedelta(seconds=1)))
    run()

    assert deactivated.is_active is False
    assert SSOSession.objects.count() == 0
    assert Session.objects.count() == 0
    assert User.objects.get(pk=user.pk).is_active is True


def test_users_without_a_shadow_here_are_skipped(feed):
    """Entries of people who never signed in here create nothing."""
    feed.entries = [entry(alice_claims(sub=STRANGER_SUB)), tombstone(BOB_SUB)]

    output = run()

    assert User.objects.count() == 0
    assert output == f"Repaired 0 shadow(s); 2 user(s) read from {ISSUER} in 1 page(s).\n"


def test_the_shadows_event_time_moves_to_the_providers_state(drifted, feed):
    """An event still in flight from before the repaired state is then ignored by the receiver."""
    run()

    assert IdentityLink.objects.get(user=drifted).last_event_at == CHANGED_AT


# Signals -------------------------------------------------------------------------------------


@pytest.fixture
def heard() -> list[dict[str, Any]]:
    """What sso_event_received receivers were sent."""
    events: list[dict[str, Any]] = []

    def receiver(sender, **kwargs):
        events.append(kwargs)

    sso_event_received.connect(receiver, dispatch_uid="test_sync")
    yield events
    sso_event_received.disconnect(dispatch_uid="test_sync")


def test_receivers_hear_what_was_repaired(feed, heard):
    """A profile repair is a claims change, a status repair disabled/purged; a no-op is silent."""
    alice = shadow()
    bob = shadow(alice_claims(sub=BOB_SUB, email="bob@example.com"))
    User.objects.filter(pk=alice.pk).update(last_name="Edited")
    feed.entries = [entry(alice_claims(), active=False), tombstone(BOB_SUB)]

    run()
    run("--full")

    assert [(e["event_type"], e["sub"], e["user"].pk) for e in heard] == [
        (c.EVENT_CLAIMS_CHANGE, ALICE_SUB, alice.pk),
        (c.EVENT_ACCOUNT_DISABLED, ALICE_SUB, alice.pk),
        (c.EVENT_ACCOUNT_PURGED, BOB_SUB, bob.pk),
    ]
    assert heard[0]["claims"] == alice_claims()
    assert heard[0]["payload"] == {"claims": alice_claims()}
    assert heard[1]["payload"] == heard[2]["payload"] == {}


def test_dry_run_sends_no_signal(drifted, feed, heard):
    """Nothing changed, so nothing is announced."""
    run("--dry-run")

    assert heard == []


# Failures ------------------------------------------------------------------------------------


def _network_down(url: str) -> None:
    raise requests.ConnectionError("connection refused")


def test_provider_down_is_a_command_error_and_nothing_changes(drifted, feed, idp):
    """The provider unreachable: a clear error, no shadow touched, no cursor stored."""
    before = state()
    idp.failure = _network_down

    with pytest.raises(CommandError) as error:
        run()

    assert str(error.value) == (
        "sso_sync stopped: GET https://idp.test/o/.well-known/openid-configuration: "
        "ConnectionError. The pages applied before it are kept; the next run goes on from there."
    )
    assert state() == before


def test_a_failure_mid_run_keeps_the_pages_done(feed):
    """Page 1 applied and its cursor stored; page 2 answered 502: the run stops there."""
    users = [shadow(alice_claims(sub=f"sub-{n}", given_name="Old")) for n in range(4)]
    feed.entries = [entry(alice_claims(sub=f"sub-{n}")) for n in range(4)]
    feed.answers[1] = (502, {"error": "bad gateway"})

    with pytest.raises(CommandError, match="answered 502"):
        run("--page-size", "2")

    names = [User.objects.get(pk=user.pk).first_name for user in users]
    assert names == ["Alice", "Alice", "Old", "Old"]
    assert SyncState.objects.get().cursor == "c2"


def test_dry_run_failure_says_nothing_changed(drifted, feed):
    """The dry run's error message does not promise kept pages."""
    feed.answers[0] = (503, {})

    with pytest.raises(CommandError) as error:
        run("--dry-run")

    assert str(error.value).endswith("answered 503. Nothing was changed.")


def test_a_refused_cursor_suggests_full(drifted, feed):
    """A stored cursor the provider no longer accepts (its SECRET_KEY changed): 400, use --full."""
    SyncState.objects.create(issuer=ISSUER, cursor="forged")

    with pytest.raises(CommandError) as error:
        run()

    assert str(error.value) == (
        "sso_sync stopped: user changes https://idp.test/api/service/users/changes/ answered 400 "
        "(invalid: cursor: Not a cursor this server issued; start again without one.). The pages "
        "applied before it are kept; the next run goes on from there. If the provider refused "
        "the cursor, run again with --full."
    )
    assert feed.asked == [("forged", 200)]
    assert User.objects.get(pk=drifted.pk).first_name == "Hacked"


def test_credentials_refused_name_the_scope(drifted, feed):
    """users:sync refused at the token endpoint: the message says what to check."""
    feed.token_answer = (400, {"error": "invalid_scope"})

    with pytest.raises(CommandError) as error:
        run()

    assert str(error.value).startswith(
        "sso_sync stopped: token endpoint (client credentials) answered 400 (invalid_scope)."
    )


def test_a_forbidden_list_names_the_scope_to_grant(drifted, feed):
    """403 from the list: check that the client holds users:sync."""
    feed.answers = {0: (403, {"error": "insufficient_scope"}), 1: (403, {})}

    with pytest.raises(CommandError) as error:
        run()

    assert "client-credentials grant with scope users:sync" in str(error.value)


def test_an_expired_token_is_replaced_once(drifted, feed):
    """A 401 mid-run (the token expired): a new token, the same page asked again."""
    feed.answers[0] = (401, {"error": "not_authenticated"})

    run()

    assert feed.asked == [(None, 200), (None, 200)]
    assert len(feed.tokens) == 2
    assert User.objects.get(pk=drifted.pk).first_name == "Alice"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        {"users": "none", "next_cursor": "c1", "has_more": False},
        {"users": [], "has_more": False},
        {"users": [{"sub": ""}], "next_cursor": "c1", "has_more": False},
        {"users": [{"sub": ALICE_SUB, "active": "yes"}], "next_cursor": "c1", "has_more": False},
        {
            "users": [{"sub": ALICE_SUB, "active": True, "deleted": False, "updated_at": "now"}],
            "next_cursor": "c1",
            "has_more": False,
        },
    ],
    ids=["not-json", "users-not-a-list", "no-cursor", "bad-sub", "bad-active", "bad-time"],
)
def test_a_malformed_answer_changes_nothing(drifted, feed, body):
    """Whatever the provider sends, a clear CommandError and no change."""
    before = state()
    feed.answers[0] = (200, body)

    with pytest.raises(CommandError, match=r"^sso_sync stopped: user changes "):
        run()

    assert state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page-size", "0"], "--page-size must be 1 to 1000, got 0."),
        (["--page-size", "1001"], "--page-size must be 1 to 1000, got 1001."),
        (["--since", "c1", "--full"], "argument --full: not allowed with argument --since"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(drifted, feed, args, message):
    """Nothing is asked of the provider."""
    with pytest.raises(CommandError, match=message):
        run(*args)

    assert feed.asked == []


# Progress and cost ---------------------------------------------------------------------------


def test_progress_goes_to_stderr(drifted, feed):
    """--progress rewrites one line per page on stderr; stdout keeps the result."""
    out, err = StringIO(), StringIO()

    call_command("sso_sync", "--progress", "--page-size", "1", stdout=out, stderr=err)

    assert err.getvalue() == (
        "\rsso_sync: 1 page(s), 1 user(s) read, 1 repaired"
        "\rsso_sync: 2 page(s), 2 user(s) read, 1 repaired\n"
    )
    assert out.getvalue().startswith("Repaired 1 shadow(s)")


def _queries_of_a_full_run(count: int, feed: ChangesFeed) -> int:
    for n in range(count):
        shadow(alice_claims(sub=f"sub-{n}", email=f"u{n}@example.com"))
    feed.entries = [
        entry(alice_claims(sub=f"sub-{n}", email=f"u{n}@example.com")) for n in range(count)
    ]
    run("--full")
    with CaptureQueriesContext(connection) as queries:
        run("--full")
    return len(queries)


def test_a_page_of_shadows_already_right_costs_the_same_queries_at_any_size(feed):
    """Reading 3 or 30 unchanged shadows: one query for their links, none per user."""
    small = _queries_of_a_full_run(3, feed)
    IdentityLink.objects.all().delete()
    User.objects.all().delete()
    large = _queries_of_a_full_run(30, feed)

    assert small == large
