"""Importing shops' customers: same email, same password, one account per person."""

import datetime as dt
import json

import pytest
from django.contrib.auth.hashers import get_hasher
from django.test import Client

from accounts.models import ImportedAccount, User
from accounts.services.import_sources import import_sources_parse
from accounts.services.user_import import users_import
from accounts.tests.legacy import (
    JOINED,
    REAL_HASHERS,
    legacy_database,
    legacy_hash,
    legacy_update,
    legacy_user,
)
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ALGORITHMS = ("pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "scrypt", "md5")


@pytest.fixture(autouse=True)
def _real_hashers(settings) -> None:
    """Verify imported hashes with the identity server's own hashers."""
    settings.PASSWORD_HASHERS = REAL_HASHERS


def run(*named_paths, **options):
    """Import from SQLite files given as (name, path) pairs; return the report as a dict."""
    urls = [f"{name}=sqlite:///{path}" for name, path in named_paths]
    return users_import(sources=import_sources_parse(urls=urls), **options).as_dict()


@pytest.fixture
def shop_a(tmp_path):
    """Shop A: one customer per supported hash format, and one without a usable password."""
    rows = [
        legacy_user(
            index + 1,
            f"{algorithm.replace('_', '')}@Example.com",
            legacy_hash(f"pw-{algorithm}", algorithm),
            first_name=algorithm,
            last_name="Legacy",
        )
        for index, algorithm in enumerate(ALGORITHMS)
    ]
    rows.append(legacy_user(99, "nopass@example.com", legacy_hash("", "unusable")))
    return legacy_database(tmp_path / "shop_a.sqlite3", rows)


def test_accounts_are_created_with_the_shops_hashes(shop_a):
    """Each customer becomes an account with the very hash the shop stored, email verified."""
    report = run(("a", shop_a))

    assert report["counts"] == {
        "created": 7,
        "updated": 0,
        "merged": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    for algorithm in ALGORITHMS:
        user = User.objects.get(email=f"{algorithm.replace('_', '')}@example.com")
        assert user.password.startswith(f"{algorithm}$")
        assert user.given_name == algorithm
        assert user.family_name == "Legacy"
        assert user.email_verified is True
        assert user.date_joined == JOINED
    assert ImportedAccount.objects.filter(source="a", created_account=True).count() == 7


def test_an_unusable_password_is_imported_unusable_and_reported(shop_a):
    """A customer without a password gets an account nobody can sign in to, listed for reset."""
    report = run(("a", shop_a))

    assert User.objects.get(email="nopass@example.com").has_usable_password() is False
    assert report["password_reset"] == [
        {
            "email": "nopass@example.com",
            "source": "a",
            "id": "99",
            "reason": "no usable password at the source",
        }
    ]


@pytest.mark.parametrize("algorithm", ["pbkdf2_sha256", "argon2", "bcrypt_sha256", "scrypt"])
def test_sign_in_with_the_shop_password_upgrades_the_hash(shop_a, algorithm):
    """The old password signs in at /account/login/, and the hash becomes our argon2id."""
    run(("a", shop_a))
    email = f"{algorithm.replace('_', '')}@example.com"
    old_hash = User.objects.get(email=email).password

    response = Client().post(
        "/account/login/", {"username": email.upper(), "password": f"pw-{algorithm}"}
    )

    new_hash = User.objects.get(email=email).password
    assert response.status_code == 302
    assert new_hash != old_hash
    assert get_hasher("default").algorithm == "argon2"
    assert new_hash.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_check_password_rehashes_and_saves_for_our_user_model(shop_a):
    """User.check_password's setter stores the upgraded hash on our custom model."""
    run(("a", shop_a))
    user = User.objects.get(email="argon2@example.com")

    assert user.check_password("wrong") is False
    assert user.password.startswith("argon2$argon2id$v=19$m=1024,t=1,p=8$")  # the shop's cost
    assert user.check_password("pw-argon2") is True

    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("pw-argon2") is True


def test_a_second_run_changes_nothing(shop_a):
    """Running again with the same sources reports every row unchanged and writes nothing."""
    run(("a", shop_a))
    before = list(User.objects.order_by("pk").values())

    report = run(("a", shop_a))

    assert report["counts"] == {
        "created": 0,
        "updated": 0,
        "merged": 0,
        "unchanged": 7,
        "skipped": 0,
    }
    assert report["password_reset"] == []
    assert list(User.objects.order_by("pk").values()) == before


def test_a_second_run_keeps_what_changed_here(shop_a):
    """An upgraded hash and a profile edit made at the identity server survive a new run."""
    run(("a", shop_a))
    user = User.objects.get(email="scrypt@example.com")
    user.password = "md5$salt$0123456789abcdef0123456789abcdef"
    user.given_name = "Edited"
    user.save()

    run(("a", shop_a))

    user.refresh_from_db()
    assert user.password == "md5$salt$0123456789abcdef0123456789abcdef"
    assert user.given_name == "Edited"


def test_a_change_at_the_source_updates_only_that_field(shop_a):
    """A name changed at the shop since the last run is applied; the password is left alone."""
    run(("a", shop_a))
    user = User.objects.get(email="argon2@example.com")
    user.password = "md5$salt$0123456789abcdef0123456789abcdef"
    user.save()
    legacy_update(shop_a, "UPDATE auth_user SET first_name = ? WHERE id = ?", ["Argo", 3])

    report = run(("a", shop_a))

    user.refresh_from_db()
    assert report["counts"]["updated"] == 1
    assert report["counts"]["unchanged"] == 6
    assert user.given_name == "Argo"
    assert user.password == "md5$salt$0123456789abcdef0123456789abcdef"


def two_shops(tmp_path, *, carol_b_login: dt.datetime | None = None):
    """Ann at both shops (same hash), Bob at B only, Carol at both with other passwords."""
    ann = legacy_hash("ann-pw", "pbkdf2_sha256")
    a = legacy_database(
        tmp_path / "a.sqlite3",
        [
            legacy_user(1, "Ann@Example.com", ann, first_name="Ann"),
            legacy_user(
                2,
                "carol@example.com",
                legacy_hash("carol-at-a", "pbkdf2_sha256"),
                first_name="Carol",
                last_login=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ),
        ],
    )
    b = legacy_database(
        tmp_path / "b.sqlite3",
        [
            legacy_user(7, "bob@example.com", legacy_hash("bob-pw", "argon2"), first_name="Bob"),
            legacy_user(8, "ann@example.com", ann, first_name="Ann"),
            legacy_user(
                9,
                "CAROL@example.com",
                legacy_hash("carol-at-b", "bcrypt_sha256"),
                first_name="Caroline",
                last_login=carol_b_login,
            ),
        ],
    )
    return ("a", a), ("b", b)


def test_two_sources_merge_by_email(tmp_path):
    """The same email at two shops, whatever its case, is one account linked to both rows."""
    report = run(*two_shops(tmp_path))

    ann = User.objects.get(email="ann@example.com")
    assert User.objects.count() == 3
    assert report["counts"] == {
        "created": 3,
        "updated": 0,
        "merged": 2,
        "unchanged": 0,
        "skipped": 0,
    }
    assert sorted(ann.imported_accounts.values_list("source", "source_user_id")) == [
        ("a", "1"),
        ("b", "8"),
    ]


@pytest.mark.parametrize(
    ("prefer", "carol_b_login", "winner", "password", "given_name"),
    [
        ("a", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), ("a", "2"), "carol-at-a", "Carol"),
        ("b", None, ("b", "9"), "carol-at-b", "Caroline"),
        ("newest", None, ("a", "2"), "carol-at-a", "Carol"),
        ("newest", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), ("b", "9"), "carol-at-b", "Caroline"),
    ],
)
def test_a_conflict_follows_prefer_and_is_reported(
    tmp_path, prefer, carol_b_login, winner, password, given_name
):
    """Carol's values come from the preferred (or most recently active) shop; the report says so."""
    report = run(*two_shops(tmp_path, carol_b_login=carol_b_login), prefer=prefer)

    carol = User.objects.get(email="carol@example.com")
    loser = ("b", "9") if winner == ("a", "2") else ("a", "2")
    assert carol.check_password(password) is True
    assert carol.given_name == given_name
    assert report["conflicts"] == [
        {
            "email": "carol@example.com",
            "rule": "newest" if prefer == "newest" else f"prefer {prefer}",
            "kept": {"source": winner[0], "id": winner[1]},
            "others": [{"source": loser[0], "id": loser[1], "differs": ["password", "given_name"]}],
        }
    ]


def test_a_dry_run_writes_nothing_and_reports_what_a_run_does(tmp_path):
    """--dry-run creates no account, link or audit event; its report is the real run's."""
    sources = two_shops(tmp_path)

    dry = run(*sources, dry_run=True)

    assert User.objects.count() == 0
    assert ImportedAccount.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    real = run(*sources)
    assert dry == {**real, "dry_run": True}


def test_rows_that_cannot_be_imported_are_skipped_with_a_reason(tmp_path):
    """Invalid and missing emails and a shop's duplicate emails are listed, never dropped."""
    pw = legacy_hash("pw", "md5")
    source = legacy_database(
        tmp_path / "a.sqlite3",
        [
            legacy_user(1, "not-an-email", pw),
            legacy_user(2, "", pw),
            legacy_user(
                3, "dup@example.com", pw, last_login=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            ),
            legacy_user(4, "DUP@example.com", pw),
        ],
    )

    report = run(("a", source))

    assert report["counts"]["created"] == 1
    assert report["counts"]["skipped"] == 3
    assert report["skipped"] == [
        {"source": "a", "id": "1", "email": "not-an-email", "reason": "invalid email address"},
        {"source": "a", "id": "2", "email": "", "reason": "no email address"},
        {
            "source": "a",
            "id": "4",
            "email": "dup@example.com",
            "reason": "duplicate email within source a: the row active last is imported",
        },
    ]
    assert ImportedAccount.objects.get().source_user_id == "3"


def test_an_existing_account_keeps_its_password_and_joins_the_import(tmp_path, make_user):
    """Someone who already signed up here keeps their own password; the conflict is listed."""
    existing = make_user(email="ann@example.com", given_name="Annie")
    source = legacy_database(
        tmp_path / "a.sqlite3",
        [
            legacy_user(
                1,
                "ann@example.com",
                legacy_hash("shop-pw", "md5"),
                first_name="Ann",
                last_name="Liddell",
            )
        ],
    )

    report = run(("a", source))

    existing.refresh_from_db()
    assert report["counts"]["merged"] == 1
    assert existing.given_name == "Annie"
    assert existing.check_password("shop-pw") is False
    assert existing.imported_accounts.get().created_account is False
    assert report["conflicts"][0]["kept"] == {"source": "identity_server", "id": str(existing.sub)}
    assert report["conflicts"][0]["others"][0]["differs"] == ["password", "given_name"]


def test_a_run_records_one_audit_event_with_counts_and_no_hash(shop_a):
    """The audit log gets the counts of the run, never a password hash."""
    run(("a", shop_a))

    event = AuditEvent.objects.get()
    assert event.kind == AuditEvent.Kind.USERS_IMPORTED
    assert event.data["counts"]["created"] == 7
    assert event.data["sources"] == {"a": {"table": "auth_user", "rows": 7}}
    assert "$" not in json.dumps(event.data)


def test_a_second_run_over_two_sources_changes_nothing(tmp_path):
    """Merged rows are remembered too: the second run reports all five rows unchanged."""
    sources = two_shops(tmp_path)
    run(*sources, prefer="a")

    report = run(*sources, prefer="a")

    assert report["counts"] == {
        "created": 0,
        "updated": 0,
        "merged": 0,
        "unchanged": 5,
        "skipped": 0,
    }
    assert User.objects.get(email="carol@example.com").check_password("carol-at-a") is True
