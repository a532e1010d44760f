"""GET /api/service/users/changes/: the reconcile list a shop's ``sso_sync`` pages through."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken

from accounts.models import DeletedAccount
from api import selectors
from api.cursors import CURSOR_SALT, ChangePosition, cursor_decode, cursor_encode
from oidc import constants
from oidc.services.clients import client_register
from oidc.tests.flow import (
    SHOP_A_CALLBACK,
    client_credentials_token,
    code_get,
    pkce_make,
    token_exchange,
)

User = get_user_model()
pytestmark = pytest.mark.django_db

URL = "/api/service/users/changes/"


@pytest.fixture(autouse=True)
def _no_settle_window(monkeypatch) -> None:
    """List rows at once: the settle window has a test of its own."""
    monkeypatch.setattr(selectors, "CHANGES_SETTLE", timedelta(0))


def service_token_for(*scopes: str) -> str:
    """Register a confidential client holding ``scopes``; return its own access token."""
    application, secret = client_register(
        name="Shop A",
        redirect_uris=[SHOP_A_CALLBACK],
        post_logout_redirect_uris=["http://localhost:8001/"],
        first_party=True,
        public=False,
        service_scopes=list(scopes),
    )
    response = client_credentials_token(application.client_id, secret, scope=" ".join(scopes))
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def sync_token() -> str:
    """An access token shop A's ``sso_sync`` obtained for itself (users:sync)."""
    return service_token_for(constants.SCOPE_USERS_SYNC)


def changes(token: str | None = None, **params):
    """GET the list with ``params`` and an optional bearer token."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get(URL, params, **headers)


def all_pages(token: str, *, limit: int, cursor: str | None = None) -> tuple[list[list], str]:
    """Follow next_cursor until has_more is false; return each page's subs and the last cursor."""
    pages = []
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = changes(token, **params).json()
        pages.append([entry["sub"] for entry in body["users"]])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return pages, cursor


def ordered_subs() -> list[str]:
    """Every user's sub in the list's order, (updated_at, sub)."""
    return [
        str(sub) for sub in User.objects.order_by("updated_at", "sub").values_list("sub", flat=True)
    ]


@pytest.fixture
def people(make_user) -> dict[str, User]:
    """Alice (in shop-staff), Bob (deactivated), Carol (no name, unverified)."""
    alice = make_user(email="alice@example.com", email_verified=True)
    alice.groups.add(Group.objects.create(name="shop-staff"))
    return {
        "alice": User.objects.get(pk=alice.pk),
        "bob": make_user(
            email="bob@example.com", given_name="Bob", family_name="Ross", is_active=False
        ),
        "carol": make_user(email="carol@example.com", given_name="", family_name=""),
    }


# Who may call ------------------------------------------------------------------------------------


def test_without_a_token_is_401_with_a_bearer_challenge(people):
    """No credentials: 401, a bare Bearer challenge, no user data."""
    response = changes()

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_an_unknown_token_is_401_invalid_token(people):
    """A token the server never issued is invalid_token."""
    response = changes("not-a-token")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api",error="invalid_token"')
    assert "users" not in response.json()


def test_a_users_read_token_is_403_insufficient_scope(people):
    """The lookup scope does not open the reconcile list."""
    response = changes(service_token_for(constants.SCOPE_USERS_READ))

    assert response.status_code == 403
    assert response["Cache-Control"] == "no-store"
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="users:sync"'
    )
    assert response.json() == {
        "error": "insufficient_scope",
        "detail": "This needs an access token from the client credentials grant with scope "
        "users:sync.",
    }


def test_a_users_token_is_refused_even_with_the_scope(browser, user):
    """A user's token from the code flow (its scope forged to users:sync) is 403."""
    application, secret = client_register(
        name="Shop A",
        redirect_uris=[SHOP_A_CALLBACK],
        post_logout_redirect_uris=[],
        first_party=True,
        service_scopes=[constants.SCOPE_USERS_SYNC],
    )
    pkce = pkce_make()
    code = code_get(browser, application.client_id, pkce, scope="openid")
    token = token_exchange(browser, application.client_id, secret, code, pkce.verifier).json()[
        "access_token"
    ]
    AccessToken.objects.update(scope="openid users:sync")

    response = changes(token)

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_a_client_without_users_sync_cannot_get_a_token(people):
    """The token endpoint refuses users:sync to a client that only holds users:read."""
    application, secret = client_register(
        name="Shop A",
        redirect_uris=[SHOP_A_CALLBACK],
        post_logout_redirect_uris=[],
        first_party=True,
        service_scopes=[constants.SCOPE_USERS_READ],
    )

    response = client_credentials_token(application.client_id, secret, scope="users:sync")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_only_get_is_allowed(sync_token):
    """POST is 405, with a JSON reason."""
    response = Client().post(URL, {}, HTTP_AUTHORIZATION=f"Bearer {sync_token}")

    assert response.status_code == 405
    assert response["Cache-Control"] == "no-store"


# What it lists ----------------------------------------------------------------------------------


def test_lists_every_user_with_claims_groups_and_status(sync_token, people):
    """Without a cursor: everybody, from the start, each with the contract's fields."""
    response = changes(sync_token)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["has_more"] is False
    by_email = {entry.get("email"): entry for entry in body["users"]}
    alice = people["alice"]
    assert by_email["alice@example.com"] == {
        "sub": str(alice.sub),
        "email": "alice@example.com",
        "email_verified": True,
        "name": "Alice Liddell",
        "given_name": "Alice",
        "family_name": "Liddell",
        "groups": ["shop-staff"],
        "active": True,
        "deleted": False,
        "updated_at": alice.updated_at.isoformat(),
    }
    assert by_email["bob@example.com"]["active"] is False
    assert by_email["bob@example.com"]["name"] == "Bob Ross"
    assert by_email["bob@example.com"]["groups"] == []
    assert by_email["carol@example.com"]["name"] == ""
    assert by_email["carol@example.com"]["email_verified"] is False
    assert [entry["sub"] for entry in body["users"]] == ordered_subs()
    assert cursor_decode(body["next_cursor"]) == ChangePosition(
        at=User.objects.get(sub=body["users"][-1]["sub"]).updated_at,
        sub=User.objects.get(sub=body["users"][-1]["sub"]).sub,
    )


def test_an_avatar_is_the_picture_url(sync_token, people):
    """``picture`` is there only when the user has an avatar: the claim's absolute URL."""
    User.objects.filter(pk=people["carol"].pk).update(avatar="avatars/carol.png")

    entries = changes(sync_token).json()["users"]

    pictures = {entry["email"]: entry.get("picture") for entry in entries}
    assert pictures == {
        "alice@example.com": None,
        "bob@example.com": None,
        "carol@example.com": "http://localhost:8000/media/avatars/carol.png",
    }


def test_an_empty_directory_gives_a_cursor_to_start_from(sync_token):
    """No users yet: an empty page and a cursor that lists whoever comes later."""
    body = changes(sync_token).json()

    assert body["users"] == []
    assert body["has_more"] is False
    assert cursor_decode(body["next_cursor"]) is None


# Pages and cursors ------------------------------------------------------------------------------


@pytest.fixture
def many(make_user) -> list[User]:
    """Seven users, two of them saved at the same instant (the sub breaks the tie)."""
    users = [make_user(email=f"user{n}@example.com") for n in range(7)]
    same_time = timezone.now()
    User.objects.filter(pk__in=[users[2].pk, users[3].pk]).update(updated_at=same_time)
    return users


def test_pages_cover_everyone_once_in_order(sync_token, many):
    """limit=3 over seven users: pages of 3, 3, 1; has_more false only on the last."""
    pages, _ = all_pages(sync_token, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [sub for page in pages for sub in page] == ordered_subs()


def test_a_finished_cursor_lists_only_later_changes(sync_token, many):
    """After the last page the cursor lists nothing, then only the user changed since."""
    _, cursor = all_pages(sync_token, limit=5)

    nothing = changes(sync_token, cursor=cursor).json()
    many[0].given_name = "Renamed"
    many[0].save()
    later = changes(sync_token, cursor=cursor).json()

    assert nothing["users"] == []
    assert nothing["next_cursor"] == cursor
    assert [entry["sub"] for entry in later["users"]] == [str(many[0].sub)]
    assert later["users"][0]["given_name"] == "Renamed"


def test_a_cursor_is_stable_when_earlier_rows_change(sync_token, many):
    """A row listed on page one and changed while paging comes again at the end, once."""
    before = ordered_subs()
    first = changes(sync_token, limit=3).json()
    changed = User.objects.get(sub=first["users"][0]["sub"])
    changed.save()

    pages, _ = all_pages(sync_token, limit=3, cursor=first["next_cursor"])

    rest = [sub for page in pages for sub in page]
    assert rest[-1] == str(changed.sub)
    assert [entry["sub"] for entry in first["users"]] + rest[:-1] == before


def test_limit_1000_is_answered(sync_token, many):
    """The largest page size is accepted."""
    response = changes(sync_token, limit=1000)

    assert response.status_code == 200
    assert len(response.json()["users"]) == 7


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": 0}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": 1001}, {"limit": ["Ensure this value is less than or equal to 1000."]}),
        ({"limit": "ten"}, {"limit": ["A valid integer is required."]}),
    ],
    ids=["zero", "1001", "not-a-number"],
)
def test_a_bad_limit_or_cursor_is_400_with_a_reason(sync_token, many, params, detail):
    """Out-of-range or malformed parameters are refused with the field named, no user data."""
    response = changes(sync_token, **params)

    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"error": "invalid", "detail": detail}


def test_empty_parameters_mean_the_defaults(sync_token, many):
    """``?cursor=&limit=`` is the first page of 200, as if neither were sent."""
    body = changes(sync_token, cursor="", limit="").json()

    assert [entry["sub"] for entry in body["users"]] == ordered_subs()


FORGED = "Not a cursor this server issued; start again without one."


def _tampered(cursor: str) -> str:
    """Change one character of the signed payload."""
    index = 3
    return cursor[:index] + ("A" if cursor[index] != "A" else "B") + cursor[index + 1 :]


@pytest.mark.parametrize(
    "forge",
    [
        lambda real: "garbage",
        _tampered,
        # A position of its own choosing, signed with another salt (another signer's value).
        lambda real: signing.dumps(["2000-01-01T00:00:00+00:00", "0" * 32], salt="other"),
        lambda real: signing.dumps(["2000-01-01T00:00:00+00:00", "0" * 32], key="guessed-key"),
        lambda real: real + "x" * 300,
    ],
    ids=["garbage", "tampered", "other-salt", "other-key", "too-long"],
)
def test_a_forged_cursor_is_400(sync_token, many, forge):
    """A cursor the server did not sign is refused: no reading from a chosen position."""
    real = changes(sync_token, limit=2).json()["next_cursor"]

    response = changes(sync_token, cursor=forge(real))

    assert response.status_code == 400
    assert response.json() == {"error": "invalid", "detail": {"cursor": [FORGED]}}


def test_a_signed_but_malformed_position_is_400(sync_token):
    """Even a payload with this server's signature must hold a time and a sub (never a 500)."""
    for payload in (["yesterday", "x"], ["2000-01-01T00:00:00", "0" * 32], "text", [1]):
        cursor = signing.dumps(payload, salt=CURSOR_SALT, compress=False)

        response = changes(sync_token, cursor=cursor)

        assert response.status_code == 400, payload
        assert response.json()["detail"] == {"cursor": [FORGED]}


def test_the_cursor_round_trips():
    """Encoding then decoding gives the position back."""
    position = ChangePosition(at=timezone.now(), sub=User().sub)

    assert cursor_decode(cursor_encode(position)) == position
    assert cursor_decode(cursor_encode(None)) is None


# Settle window ----------------------------------------------------------------------------------


def test_rows_changed_within_the_settle_window_wait_for_the_next_call(
    sync_token, people, monkeypatch
):
    """A row saved in the last 2 s is not listed yet, so a late commit cannot fall behind."""
    monkeypatch.setattr(selectors, "CHANGES_SETTLE", timedelta(seconds=2))
    settled = timezone.now() - timedelta(seconds=3)
    User.objects.exclude(pk=people["carol"].pk).update(updated_at=settled)

    listed = [entry["email"] for entry in changes(sync_token).json()["users"]]
    User.objects.filter(pk=people["carol"].pk).update(updated_at=settled)
    later = [entry["email"] for entry in changes(sync_token).json()["users"]]

    assert "carol@example.com" not in listed
    assert sorted(listed) == ["alice@example.com", "bob@example.com"]
    assert "carol@example.com" in later


# Deleted accounts and group changes ------------------------------------------------------------


def test_a_deleted_account_is_a_tombstone(sync_token, people):
    """Deleting a user leaves its sub and when; the list says deleted, with nothing personal."""
    _, cursor = all_pages(sync_token, limit=10)
    bob_sub = people["bob"].sub

    people["bob"].delete()
    body = changes(sync_token, cursor=cursor).json()

    tombstone = DeletedAccount.objects.get()
    assert tombstone.sub == bob_sub
    assert body["users"] == [
        {
            "sub": str(bob_sub),
            "active": False,
            "deleted": True,
            "updated_at": tombstone.deleted_at.isoformat(),
        }
    ]


def test_tombstones_and_users_interleave_in_order(sync_token, many):
    """Tombstones take their place among users by time: pages of 2 still list each once."""
    for user in (many[1], many[4]):
        user.delete()
    many[0].save()
    tombstones = list(DeletedAccount.objects.values_list("deleted_at", "sub"))
    expected = [
        str(sub)
        for _, sub in sorted(
            [*User.objects.values_list("updated_at", "sub"), *tombstones],
            key=lambda row: (row[0], row[1]),
        )
    ]

    pages, _ = all_pages(sync_token, limit=2)

    assert [sub for page in pages for sub in page] == expected
    assert len(expected) == 7


def _listed_after(token: str, cursor: str) -> list[dict]:
    return changes(token, cursor=cursor).json()["users"]


def test_group_changes_from_either_side_list_the_user_again(sync_token, people):
    """Adding, removing and clearing groups, from the user or the group, touches the user."""
    staff = Group.objects.get(name="shop-staff")
    admins = Group.objects.create(name="shop-admins")
    carol = people["carol"]
    steps = [
        (lambda: carol.groups.add(admins), ["shop-admins"]),
        (lambda: carol.groups.remove(admins), []),
        (lambda: staff.user_set.add(carol), ["shop-staff"]),
        (lambda: staff.user_set.remove(carol), []),
        (lambda: admins.user_set.add(carol), ["shop-admins"]),
        (lambda: admins.user_set.clear(), []),
        (lambda: carol.groups.set([staff]), ["shop-staff"]),
        (lambda: carol.groups.clear(), []),
    ]
    _, cursor = all_pages(sync_token, limit=10)
    for step, groups in steps:
        step()
        listed = _listed_after(sync_token, cursor)

        assert [(entry["email"], entry["groups"]) for entry in listed] == [
            ("carol@example.com", groups)
        ]
        cursor = changes(sync_token, cursor=cursor).json()["next_cursor"]


def test_renaming_or_deleting_a_group_lists_its_members(sync_token, people):
    """A group's name is a claim: its members come again on a rename and on its deletion."""
    staff = Group.objects.get(name="shop-staff")
    _, cursor = all_pages(sync_token, limit=10)

    staff.name = "shop-team"
    staff.save()
    renamed = _listed_after(sync_token, cursor)
    cursor = changes(sync_token, cursor=cursor).json()["next_cursor"]
    staff.delete()
    deleted = _listed_after(sync_token, cursor)

    assert [(entry["email"], entry["groups"]) for entry in renamed] == [
        ("alice@example.com", ["shop-team"])
    ]
    assert [(entry["email"], entry["groups"]) for entry in deleted] == [("alice@example.com", [])]


def test_a_new_group_touches_nobody(people):
    """Creating a group changes no user."""
    before = dict(User.objects.values_list("pk", "updated_at"))

    Group.objects.create(name="new")

    assert dict(User.objects.values_list("pk", "updated_at")) == before


# Cost --------------------------------------------------------------------------------------------


def _queries_for_page(token: str, limit: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = changes(token, limit=limit)
    assert response.status_code == 200
    assert len(response.json()["users"]) == limit
    return len(queries)


def test_a_page_costs_the_same_queries_whatever_its_size(sync_token, make_user):
    """Users with groups, tombstones: a page of 2 and a page of 40 run as many queries."""
    group = Group.objects.create(name="shop-staff")
    for n in range(45):
        user = make_user(email=f"u{n}@example.com")
        user.groups.add(group)
    for user in User.objects.order_by("pk")[:3]:
        user.delete()

    small = _queries_for_page(sync_token, 2)
    large = _queries_for_page(sync_token, 40)

    assert small == large
