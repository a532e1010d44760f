"""manage.py sso_link_users: local users linked to the provider's users by verified email."""

import json
from io import StringIO

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from sso_client.backends import SSOBackend
from sso_client.conf import sso_settings
from sso_client.models import IdentityLink
from sso_client.provisioning import shadow_user_sync
from tests.conftest import ISSUER, alice_claims, callback_query
from tests.testapp.models import Order

User = get_user_model()
pytestmark = pytest.mark.django_db

ALICE_SUB = "2f7c1e0a-0000-4000-8000-000000000001"
BOB_SUB = "9b1d0000-0000-4000-8000-000000000002"
LOOKUP_PATH = "/api/service/users/lookup/"
ZERO_COUNTS = {
    "linked": 0,
    "already linked": 0,
    "linked to another issuer": 0,
    "no email": 0,
    "ambiguous": 0,
    "unmatched": 0,
    "unverified": 0,
    "conflict": 0,
    "deleted": 0,
}


def idp_user(email, sub, *, verified=True, active=True):
    return {"email": email, "sub": sub, "email_verified": verified, "is_active": active}


def local_user(username, email, *, password="old-pass-1"):
    return User.objects.create_user(username, email=email, password=password)


def run(*args):
    """Run the command; return what it printed."""
    out = StringIO()
    call_command("sso_link_users", *args, stdout=out)
    return out.getvalue()


def dry_run_report(*args):
    return json.loads(run("--dry-run", *args))


def counts(**nonzero):
    return {**ZERO_COUNTS, **nonzero}


def state():
    """Everything the command may change: links and passwords."""
    links = sorted(IdentityLink.objects.values_list("user_id", "issuer", "sub"))
    return links, sorted(User.objects.values_list("pk", "password"))


@pytest.fixture
def alice(idp):
    """A customer of the shop from before SSO, with an order; the provider verified her email."""
    user = local_user("alice_old", "Alice@example.com")
    Order.objects.create(user=user, number="A-1")
    idp.directory.append(idp_user("alice@example.com", ALICE_SUB))
    return user


# Linking ---------------------------------------------------------------------------------------


def test_verified_email_links_the_existing_user(alice, idp):
    """The local user is linked to the provider's sub, its password made unusable."""
    output = run()

    assert output == f"Linked 1 user(s) to {ISSUER}; skipped 0.\n"
    link = IdentityLink.objects.get()
    assert (link.user_id, link.issuer, link.sub) == (alice.pk, ISSUER, ALICE_SUB)
    alice.refresh_from_db()
    assert alice.username == "alice_old"
    assert not alice.has_usable_password()
    assert list(Order.objects.values_list("number", "user_id")) == [("A-1", alice.pk)]
    assert User.objects.count() == 1


def test_lookup_uses_a_client_credentials_token_and_lowercased_emails(alice, idp):
    """One token (client_secret_basic, scope users:read), then the emails as the provider asks."""
    run()

    assert idp.urls_called("/o/token/") == 1
    assert len(idp.service_tokens) == 1
    assert idp.lookups == [{"emails": ["alice@example.com"]}]
    assert [method for method, url, _ in idp.calls if url.endswith(LOOKUP_PATH)] == ["POST"]
    assert [url for _, url, _ in idp.calls if url.endswith(LOOKUP_PATH)] == [
        "https://idp.test/api/service/users/lookup/"
    ]


def test_sso_sign_in_lands_on_the_linked_user(client, alice, idp):
    """After linking, signing in through SSO opens the old account with its orders."""
    run()

    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert User.objects.count() == 1
    alice.refresh_from_db()
    assert (alice.username, alice.email, alice.first_name) == (
        "alice_old",
        "alice@example.com",
        "Alice",
    )
    assert list(Order.objects.filter(user=alice).values_list("number", flat=True)) == ["A-1"]


def test_backend_finds_the_linked_user_by_issuer_and_sub(alice, idp):
    """SSOBackend's lookup by (issuer, sub) returns the linked user, which the sync updates."""
    run()
    backend = SSOBackend()

    found = list(backend.filter_users_by_claims(alice_claims()))
    synced = backend.update_user(found[0], alice_claims())

    assert [user.pk for user in found] == [alice.pk]
    assert synced.pk == alice.pk
    assert IdentityLink.objects.get(user=alice).sub == ALICE_SUB


def test_without_link_sign_in_creates_a_new_shadow(client, alice, idp):
    """Before linking, the same person signing in gets a new shadow (never matched by email)."""
    response = client.get("/oidc/callback/", callback_query(client, idp))

    assert response.status_code == 302
    assert client.session["_auth_user_id"] != str(alice.pk)
    assert User.objects.count() == 2


def test_password_kept_when_link_makes_password_unusable_is_false(settings, alice, idp):
    """LINK_MAKES_PASSWORD_UNUSABLE False links without touching the password."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "LINK_MAKES_PASSWORD_UNUSABLE": False}

    run()

    alice.refresh_from_db()
    assert IdentityLink.objects.get().user_id == alice.pk
    assert alice.check_password("old-pass-1")


def test_inactive_provider_user_is_linked(idp):
    """The link only names the person; whether they may sign in is the provider's decision."""
    user = local_user("carol", "carol@example.com")
    idp.directory.append(idp_user("carol@example.com", BOB_SUB, active=False))

    run()

    assert list(IdentityLink.objects.values_list("user_id", "sub")) == [(user.pk, BOB_SUB)]


# Refusals --------------------------------------------------------------------------------------


def test_unverified_email_is_not_linked(idp):
    """An email the provider has not verified links nobody and is reported "unverified"."""
    user = local_user("bob", "bob@example.com")
    idp.directory.append(idp_user("bob@example.com", BOB_SUB, verified=False))
    before = state()

    report = dry_run_report()
    output = run()

    assert state() == before
    assert report["skipped"] == [
        {
            "user_id": user.pk,
            "username": "bob",
            "email": "bob@example.com",
            "reason": "unverified",
            "sub": BOB_SUB,
        }
    ]
    assert report["linked"] == []
    assert output == f"Linked 0 user(s) to {ISSUER}; skipped 1 (unverified 1).\n"


def test_email_unknown_at_the_provider_is_unmatched(idp):
    """An email the provider does not know links nobody and is reported "unmatched"."""
    user = local_user("dave", "dave@example.com")
    before = state()

    report = dry_run_report()
    run()

    assert state() == before
    assert report["skipped"] == [
        {"user_id": user.pk, "username": "dave", "email": "dave@example.com", "reason": "unmatched"}
    ]
    assert idp.lookups == [{"emails": ["dave@example.com"]}, {"emails": ["dave@example.com"]}]


def test_same_email_on_two_local_users_is_ambiguous(idp):
    """Two local users whose emails differ only in case: neither is linked, nor looked up."""
    first = local_user("bob1", "bob@example.com")
    second = local_user("bob2", " BOB@example.com")
    idp.directory.append(idp_user("bob@example.com", BOB_SUB))
    before = state()

    report = dry_run_report()
    run()

    assert state() == before
    assert [(entry["user_id"], entry["reason"]) for entry in report["skipped"]] == [
        (first.pk, "ambiguous"),
        (second.pk, "ambiguous"),
    ]
    assert idp.lookups == []
    assert idp.urls_called("/o/token/") == 0


def test_sub_linked_to_another_local_user_is_a_conflict(alice, idp):
    """A shadow already holds the sub (the person signed in before the move): no link."""
    shadow = shadow_user_sync(issuer=ISSUER, claims=alice_claims())
    before = state()

    report = dry_run_report()
    run()

    assert state() == before
    assert report["counts"] == counts(**{"already linked": 1, "conflict": 1})
    assert report["skipped"][0] == {
        "user_id": alice.pk,
        "username": "alice_old",
        "email": "Alice@example.com",
        "reason": "conflict",
        "sub": ALICE_SUB,
        "linked_user_id": shadow.pk,
    }
    assert report["skipped"][1]["user_id"] == shadow.pk


def test_two_provider_users_for_one_email_are_ambiguous(idp):
    """A provider answering two subs for one email links nobody."""
    user = local_user("erin", "erin@example.com")
    idp.directory += [idp_user("erin@example.com", "sub-1"), idp_user("ERIN@example.com", "sub-2")]
    before = state()

    report = dry_run_report()
    run()

    assert state() == before
    assert report["skipped"] == [
        {
            "user_id": user.pk,
            "username": "erin",
            "email": "erin@example.com",
            "reason": "ambiguous",
            "subs": ["sub-1", "sub-2"],
        }
    ]


def test_users_without_email_are_skipped_and_not_looked_up(idp):
    """A user without an email is reported "no email" and never sent to the provider."""
    user = local_user("frank", "")
    before = state()

    report = dry_run_report()

    assert state() == before
    assert report["skipped"] == [
        {"user_id": user.pk, "username": "frank", "email": "", "reason": "no email"}
    ]
    assert idp.calls == []


def test_user_linked_to_another_issuer_is_skipped(alice, idp):
    """A user already linked to another provider keeps that link."""
    IdentityLink.objects.create(user=alice, issuer="https://other.test/o", sub=ALICE_SUB)
    before = state()

    report = dry_run_report()
    run()

    assert state() == before
    assert report["counts"] == counts(**{"linked to another issuer": 1})


# Runs ------------------------------------------------------------------------------------------


def test_second_run_links_nothing_new(alice, idp):
    """Idempotent: the second run reports the user "already linked" and changes nothing."""
    run()
    before = state()

    output = run()

    assert state() == before
    assert output == f"Linked 0 user(s) to {ISSUER}; skipped 1 (already linked 1).\n"


def test_dry_run_changes_nothing_and_prints_the_report(alice, idp):
    """--dry-run prints what would be linked and every skipped user, and writes nothing."""
    other = local_user("dave", "dave@example.com")
    before = state()

    report = dry_run_report()

    assert state() == before
    assert report == {
        "issuer": ISSUER,
        "dry_run": True,
        "counts": counts(linked=1, unmatched=1),
        "linked": [
            {
                "user_id": alice.pk,
                "username": "alice_old",
                "email": "Alice@example.com",
                "sub": ALICE_SUB,
            }
        ],
        "skipped": [
            {
                "user_id": other.pk,
                "username": "dave",
                "email": "dave@example.com",
                "reason": "unmatched",
            }
        ],
    }


def test_report_file_is_written_for_a_real_run(alice, idp, tmp_path):
    """--report FILE writes the JSON report of a real run; stdout keeps the summary."""
    path = tmp_path / "links.json"

    output = run("--report", str(path))

    assert output == f"Linked 1 user(s) to {ISSUER}; skipped 0.\n"
    report = json.loads(path.read_text())
    assert (report["dry_run"], report["counts"]) == (False, counts(linked=1))
    assert report["linked"][0]["sub"] == ALICE_SUB


def test_report_file_in_a_missing_directory_fails_before_linking(alice, idp, tmp_path):
    """A report that cannot be written stops the command before it links anybody."""
    before = state()

    with pytest.raises(CommandError, match="Cannot write the report"):
        run("--report", str(tmp_path / "missing" / "links.json"))

    assert state() == before
    assert idp.calls == []


def test_emails_are_looked_up_in_batches(idp):
    """--batch-size N sends at most N emails per request, all with one token."""
    users = [local_user(f"user{n}", f"user{n}@example.com") for n in range(5)]
    idp.directory += [idp_user(user.email, f"sub-{user.pk}") for user in users]

    output = run("--batch-size", "2")

    assert output == f"Linked 5 user(s) to {ISSUER}; skipped 0.\n"
    assert [len(lookup["emails"]) for lookup in idp.lookups] == [2, 2, 1]
    assert idp.urls_called("/o/token/") == 1
    assert sorted(IdentityLink.objects.values_list("sub", flat=True)) == sorted(
        f"sub-{user.pk}" for user in users
    )


@pytest.mark.parametrize("size", ["0", "501"])
def test_batch_size_out_of_range_is_refused(alice, idp, size):
    """The provider takes 1 to 500 emails per request."""
    with pytest.raises(CommandError, match=f"--batch-size must be 1 to 500, got {size}"):
        run("--batch-size", size)

    assert idp.calls == []


def test_user_lookup_url_defaults_to_the_issuer_origin(settings):
    """The default lookup URL drops the issuer's /o path; USER_LOOKUP_URL overrides it."""
    assert sso_settings.user_lookup_url() == "https://idp.test/api/service/users/lookup/"

    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "USER_LOOKUP_URL": "https://api.test/lookup/"}

    assert sso_settings.user_lookup_url() == "https://api.test/lookup/"


# Provider failures -----------------------------------------------------------------------------


def _network_down(url):
    raise requests.ConnectionError("connection refused")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda idp, settings: setattr(idp, "failure", _network_down),
            "Nothing was linked: GET https://idp.test/o/.well-known/openid-configuration: "
            "ConnectionError.",
        ),
        (
            lambda idp, settings: setattr(
                settings, "SSO_CLIENT", {**settings.SSO_CLIENT, "CLIENT_SECRET": "wrong"}
            ),
            "Nothing was linked: token endpoint (client credentials) answered 401 "
            "(invalid_client); check SSO_CLIENT CLIENT_ID/CLIENT_SECRET and that the provider "
            "lets this client use the client-credentials grant with scope users:read.",
        ),
        (
            lambda idp, settings: setattr(
                idp, "lookup_answer", (403, {"detail": "This needs scope users:read."})
            ),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/ "
            "answered 403 (This needs scope users:read.); check SSO_CLIENT "
            "CLIENT_ID/CLIENT_SECRET and that the provider lets this client use the "
            "client-credentials grant with scope users:read.",
        ),
        (
            lambda idp, settings: idp.html_pages.update({LOOKUP_PATH: 502}),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/ "
            "answered 502.",
        ),
        (
            lambda idp, settings: setattr(idp, "lookup_answer", (200, b"{not json")),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/ "
            "answered malformed JSON.",
        ),
        (
            lambda idp, settings: setattr(idp, "lookup_answer", (200, {"users": "none"})),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/: "
            "`users` and `unknown` must be lists.",
        ),
        (
            lambda idp, settings: setattr(
                idp, "lookup_answer", (200, {"users": [{"email": "alice@example.com"}]})
            ),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/: "
            "a `users` entry lacks email or a valid sub.",
        ),
        (
            lambda idp, settings: setattr(
                idp,
                "lookup_answer",
                (200, {"users": [idp_user("alice@example.com", "s" * 256)]}),
            ),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/: "
            "a `users` entry lacks email or a valid sub.",
        ),
        (
            lambda idp, settings: setattr(
                idp,
                "lookup_answer",
                (
                    200,
                    {"users": [{**idp_user("alice@example.com", ALICE_SUB), "email_verified": 1}]},
                ),
            ),
            "Nothing was linked: user lookup https://idp.test/api/service/users/lookup/: "
            f"email_verified/is_active of '{ALICE_SUB}' are not booleans.",
        ),
    ],
    ids=[
        "network",
        "token-401",
        "lookup-403",
        "lookup-502",
        "malformed-json",
        "users-not-list",
        "entry-without-sub",
        "entry-with-sub-over-255",
        "verified-not-bool",
    ],
)
def test_provider_failure_is_a_command_error_and_links_nothing(
    alice, idp, settings, setup, message
):
    """The provider down, refusing or answering nonsense stops the run with nothing linked."""
    setup(idp, settings)
    before = state()

    with pytest.raises(CommandError) as excinfo:
        run()

    assert str(excinfo.value) == message
    assert state() == before


def test_failure_in_a_later_batch_links_nothing(idp):
    """All lookups happen before any write: a failure in batch 2 leaves batch 1 unlinked too."""
    users = [local_user(f"user{n}", f"user{n}@example.com") for n in range(3)]
    idp.directory += [idp_user(user.email, f"sub-{user.pk}") for user in users]
    before = state()

    def fail_second_lookup(url):
        if url.endswith(LOOKUP_PATH) and idp.urls_called(LOOKUP_PATH) == 2:
            raise requests.ReadTimeout("timed out")

    idp.failure = fail_second_lookup

    with pytest.raises(CommandError, match="unreachable: ReadTimeout"):
        run("--batch-size", "2")

    assert state() == before
    assert len(idp.lookups) == 1
