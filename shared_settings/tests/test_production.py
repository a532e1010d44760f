"""Production values: secrets from files, HSTS, the proxy's scheme, cookies, PostgreSQL options."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from stack_settings import cookie_names, database
from stack_settings.production import (
    FORWARDED_PROTO_HEADER,
    StackEnv,
    hsts_seconds,
    proxy_ssl_header,
)


def test_a_secret_is_read_from_the_file_its_file_variable_names(
    tmp_path: Path, monkeypatch
) -> None:
    """NAME_FILE wins over NAME, and the file's trailing newline is not part of the value."""
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-mounted-file\n")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/n")

    env = StackEnv()

    assert env.str("SECRET_KEY") == "from-a-mounted-file"
    assert env.str("DATABASE_URL") == "postgres://u:p@h/n"
    assert env.str("UNSET_VARIABLE_OF_THIS_TEST", default="default") == "default"


def test_a_missing_secret_file_is_a_sentence(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "absent"))

    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY_FILE=.*absent: the file cannot"):
        StackEnv().str("SECRET_KEY", default="")


@pytest.mark.parametrize(
    ("url", "value", "expected"),
    [
        ("https://idp.example", None, 365 * 24 * 3600),
        ("https://idp.example", 600, 600),
        ("https://idp.example", 0, 0),
        ("http://localhost:8000", None, 0),
        ("http://localhost:8000", 600, 0),
        ("https://localhost:8443", None, 300),
        ("https://shop.localhost", None, 300),
        ("https://[::1]:8443", None, 300),
        ("https://localhost:8443", 600, 600),
    ],
)
def test_hsts_is_a_year_over_https_and_never_over_http(url, value, expected) -> None:
    assert hsts_seconds(url, value) == expected


def test_hsts_refuses_a_negative_value() -> None:
    with pytest.raises(ImproperlyConfigured, match="SECURE_HSTS_SECONDS is -1"):
        hsts_seconds("https://idp.example", -1)


def test_the_forwarded_scheme_is_believed_only_behind_a_trusted_proxy() -> None:
    """Anyone can send X-Forwarded-Proto: without a trusted proxy it is ignored."""
    assert proxy_ssl_header([]) is None
    assert proxy_ssl_header(["10.0.0.0/8"]) == FORWARDED_PROTO_HEADER


def test_cookie_names_take_the_host_prefix_over_https() -> None:
    assert cookie_names("shop_a", https=True) == (
        "__Host-shop_a_sessionid",
        "__Host-shop_a_csrftoken",
    )
    assert cookie_names("shop_a", https=False) == ("shop_a_sessionid", "shop_a_csrftoken")


def test_postgres_gets_a_connect_timeout_and_statement_and_lock_timeouts() -> None:
    """A dead server answers within seconds; a locked table cannot hang a request."""
    config = database("postgres://u:p@h/n", sqlite_file=Path("x"))

    assert config["OPTIONS"] == {
        "connect_timeout": 2,
        "options": "-c statement_timeout=15000 -c lock_timeout=5000",
    }


def test_postgres_timeouts_are_tunable_and_the_url_wins() -> None:
    config = database(
        "postgres://u:p@h/n?connect_timeout=7&options=-c%20work_mem%3D64MB",
        sqlite_file=Path("x"),
        statement_timeout_ms=0,
        lock_timeout_ms=250,
    )

    assert config["OPTIONS"] == {
        "connect_timeout": 7,
        "options": "-c statement_timeout=0 -c lock_timeout=250 -c work_mem=64MB",
    }


def test_sqlite_gets_no_postgres_options(tmp_path: Path) -> None:
    config = database("", sqlite_file=tmp_path / "db.sqlite3")

    assert "connect_timeout" not in config["OPTIONS"]


@pytest.mark.parametrize("name", ["statement_timeout_ms", "lock_timeout_ms"])
def test_negative_timeouts_are_a_clear_error(name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="use milliseconds, or 0 for no limit"):
        database("postgres://u:p@h/n", sqlite_file=Path("x"), **{name: -1})
