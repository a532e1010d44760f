"""The import's sources: named from the command line, read through read-only aliases only."""

import json
import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, router

from accounts.models import User
from accounts.routers import ReadOnlySourceError
from accounts.services.import_sources import (
    ImportSourceError,
    import_sources_connected,
    import_sources_parse,
)
from accounts.tests.legacy import (
    REAL_HASHERS,
    file_sha256,
    legacy_database,
    legacy_hash,
    legacy_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _real_hashers(settings) -> None:
    """Verify imported hashes with the identity server's own hashers."""
    settings.PASSWORD_HASHERS = REAL_HASHERS


@pytest.fixture
def source(tmp_path):
    """A shop database with two customers."""
    return legacy_database(
        tmp_path / "shop.sqlite3",
        [
            legacy_user(1, "ann@example.com", legacy_hash("pw", "md5"), first_name="Ann"),
            legacy_user(2, "bob@example.com", legacy_hash("pw", "md5"), first_name="Bob"),
        ],
    )


def test_sources_are_named_a_b_unless_named():
    """Unnamed sources get a, b... in order; NAME= names one; a URL's own '=' is no name."""
    sources = import_sources_parse(
        urls=["sqlite:////x.db", "shop_b=postgres://u@h/db?sslmode=require", "postgres://h/d?a=b"]
    )

    assert [(s.name, s.url) for s in sources] == [
        ("a", "sqlite:////x.db"),
        ("shop_b", "postgres://u@h/db?sslmode=require"),
        ("c", "postgres://h/d?a=b"),
    ]
    assert sources[0].alias == "import_a"


def test_map_overrides_one_column_and_rejects_unknown_fields():
    """--map given_name=fname changes that column only; an unknown field is an error."""
    source = import_sources_parse(urls=["sqlite:////x.db"], mapping=["given_name=fname"])[0]

    assert source.columns["given_name"] == "fname"
    assert source.columns["family_name"] == "last_name"
    with pytest.raises(ImportSourceError, match="unknown field"):
        import_sources_parse(urls=["sqlite:////x.db"], mapping=["nick=nickname"])
    with pytest.raises(ImportSourceError, match="not a column name"):
        import_sources_parse(urls=["sqlite:////x.db"], mapping=["email=mail; DROP TABLE x"])


def test_every_write_through_the_import_alias_raises(source):
    """SQL, ORM writes with or without using(), and SQLite itself all refuse to write."""
    sources = import_sources_parse(urls=[f"sqlite:///{source}"])
    with import_sources_connected(sources=sources):
        connection = connections["import_a"]
        with pytest.raises(ReadOnlySourceError), connection.cursor() as cursor:
            cursor.execute("DELETE FROM auth_user")
        with pytest.raises(ReadOnlySourceError):
            User.objects.using("import_a").create(email="eve@example.com")
        loaded = User(email="eve@example.com")
        loaded._state.db = "import_a"
        with pytest.raises(ReadOnlySourceError):
            loaded.save()
        # Under Django's wrapper, the file is opened read-only (mode=ro).
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            connection.connection.execute("DELETE FROM auth_user")
        assert router.allow_migrate("import_a", "accounts") is False
    assert "import_a" not in connections.settings


def test_the_source_file_is_byte_for_byte_unchanged(source):
    """A dry run and two real runs leave the shop's SQLite file exactly as it was."""
    before = file_sha256(source)

    call_command("import_users", "--source-url", f"sqlite:///{source}", "--dry-run")
    call_command("import_users", "--source-url", f"sqlite:///{source}")
    call_command("import_users", "--source-url", f"sqlite:///{source}")

    assert file_sha256(source) == before
    assert User.objects.count() == 2


def test_the_command_writes_the_report_and_prints_a_summary(source, tmp_path, capsys):
    """--report FILE gets the JSON report; stdout gets a short summary."""
    report_file = tmp_path / "report.json"

    call_command(
        "import_users", "--source-url", f"shop={source}".replace("=", "=sqlite:///", 1),
        "--report", str(report_file),
    )  # fmt: skip

    report = json.loads(report_file.read_text())
    assert report["counts"] == {
        "created": 2,
        "updated": 0,
        "merged": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert report["sources"] == {"shop": {"table": "auth_user", "rows": 2}}
    out = capsys.readouterr().out
    assert "Sources shop: 2 rows." in out
    assert "created 2, updated 0, merged 0, unchanged 0, skipped 0" in out


def test_a_dry_run_prints_the_json_report(source, capsys):
    """--dry-run prints the report it would have written, and writes no account."""
    call_command("import_users", "--source-url", f"sqlite:///{source}", "--dry-run")

    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True
    assert report["counts"]["created"] == 2
    assert User.objects.count() == 0


def test_a_custom_table_is_read_through_the_map(tmp_path):
    """--table and --map read a user table that is not auth_user."""
    path = legacy_database(
        tmp_path / "custom.sqlite3",
        [
            {
                "pk": 5,
                "mail": "Zed@Example.com",
                "pw": legacy_hash("pw", "md5"),
                "fname": "Zed",
                "lname": "Z",
                "active": 1,
                "joined": "2024-01-01 00:00:00",
                "seen": None,
            }
        ],
        sql='CREATE TABLE "customers" (pk integer primary key, mail text, pw text, '
        "fname text, lname text, active bool, joined datetime, seen datetime)",
    )
    mapping = [
        "id=pk", "email=mail", "password=pw", "given_name=fname", "family_name=lname",
        "is_active=active", "date_joined=joined", "last_login=seen",
    ]  # fmt: skip

    call_command(
        "import_users", "--source-url", f"sqlite:///{path}", "--table", "customers",
        *[arg for item in mapping for arg in ("--map", item)],
    )  # fmt: skip

    user = User.objects.get(email="zed@example.com")
    assert (user.given_name, user.family_name) == ("Zed", "Z")
    assert user.imported_accounts.get().source_user_id == "5"


def test_bad_input_is_a_command_error(source):
    """An unknown --prefer, a missing file or column ends the command with a message."""
    with pytest.raises(CommandError, match="not a source name"):
        call_command("import_users", "--source-url", f"sqlite:///{source}", "--prefer", "zz")
    with pytest.raises(CommandError, match="no such SQLite file"):
        call_command("import_users", "--source-url", "sqlite:////nonexistent/shop.sqlite3")
    with pytest.raises(CommandError, match="Source a: no such column"):
        call_command("import_users", "--source-url", f"sqlite:///{source}", "--map", "email=mail")
    assert User.objects.count() == 0


def test_progress_goes_to_stderr_on_request(source, capsys):
    """--progress prints each phase's rows, rate and ETA on stderr, ending each with a newline."""
    call_command("import_users", "--source-url", f"sqlite:///{source}", "--progress")

    err = capsys.readouterr().err
    assert "    scan: 2/2 rows" in err
    assert "accounts: 2/2 rows" in err
    assert "ETA 0s" in err
    assert "links" not in err
