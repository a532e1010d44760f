from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from stack_settings import (
    SQLITE_OPTIONS,
    STANDARD_CONTEXT_PROCESSORS,
    cache,
    cookie_names,
    database,
    mail_folder,
    mailers,
    origin,
    secret_key,
    site_url,
    templates,
)


def test_secret_key_is_the_given_one() -> None:
    """A configured key is used as it is, in DEBUG or not."""
    assert secret_key("s3cret", debug=False, project="shop_a") == "s3cret"
    assert secret_key("s3cret", debug=True, project="shop_a") == "s3cret"


def test_secret_key_is_required_unless_debug() -> None:
    """Without a key the settings refuse to load; in DEBUG each project gets its own dev key."""
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required unless DEBUG is on"):
        secret_key("", debug=False, project="shop_a")

    assert secret_key("", debug=True, project="shop_a") == "insecure-debug-only-shop_a"
    assert secret_key("", debug=True, project="shop_b") == "insecure-debug-only-shop_b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://localhost:8001", "http://localhost:8001"),
        ("https://shop.example/", "https://shop.example"),
        ("https://shop.example/prefix/", "https://shop.example/prefix"),
    ],
)
def test_site_url_drops_the_trailing_slash(value: str, expected: str) -> None:
    assert site_url(value) == expected


@pytest.mark.parametrize(
    "value", ["", "localhost:8001", "ftp://shop.example", "http://", "javascript:alert(1)"]
)
def test_site_url_refuses_what_is_not_an_http_url(value: str) -> None:
    """A public URL without http(s) or a host stops the server with a sentence saying so."""
    with pytest.raises(ImproperlyConfigured, match="is not a public URL"):
        site_url(value)


def test_origin_keeps_scheme_host_and_port() -> None:
    assert origin("https://shop.example:8443/path/?q=1") == "https://shop.example:8443"
    assert origin("http://localhost:8001") == "http://localhost:8001"


def test_cookie_names_are_the_projects_own() -> None:
    assert cookie_names("shop_a") == ("shop_a_sessionid", "shop_a_csrftoken")
    assert cookie_names("idp") == ("idp_sessionid", "idp_csrftoken")


def test_database_defaults_to_the_sqlite_file_and_creates_its_folder(tmp_path: Path) -> None:
    """No DATABASE_URL: the project's SQLite file, with its folder and the contract's options."""
    sqlite_file = tmp_path / "fresh" / "shop_a.sqlite3"

    config = database("", sqlite_file=sqlite_file)

    assert config == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(sqlite_file),
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
    assert sqlite_file.parent.is_dir()
    assert not sqlite_file.exists()


def test_database_sqlite_url_gets_the_options_and_keeps_its_own(tmp_path: Path) -> None:
    """A sqlite:// URL gets the same options; one set in the URL's query wins."""
    config = database(f"sqlite:///{tmp_path}/other/db.sqlite3?timeout=5", sqlite_file=Path("x"))

    assert config["NAME"] == f"{tmp_path}/other/db.sqlite3"
    assert config["OPTIONS"] == {**SQLITE_OPTIONS, "timeout": 5}
    assert (tmp_path / "other").is_dir()


def test_database_in_memory_sqlite_creates_no_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    config = database("sqlite://:memory:", sqlite_file=Path("unused.sqlite3"))

    assert config["NAME"] == ":memory:"
    assert list(tmp_path.iterdir()) == []


def test_database_postgres_url_gets_its_timeouts_only() -> None:
    """PostgreSQL gets its timeouts beside the URL's options, no SQLite options, no folder."""
    config = database(
        "postgres://shop:pw@db.internal:5433/shop_a?sslmode=require", sqlite_file=Path("x")
    )

    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop_a",
        "USER": "shop",
        "PASSWORD": "pw",
        "HOST": "db.internal",
        "PORT": 5433,
        "OPTIONS": {
            "connect_timeout": 2,
            "sslmode": "require",
            "options": "-c statement_timeout=15000 -c lock_timeout=5000",
        },
        # Persistent connections, checked before reuse (docs/performance.md).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


@pytest.mark.parametrize(
    ("url", "conn_max_age", "expected"),
    [
        ("postgres://u:p@h/n", 0, (0, False)),
        ("postgres://u:p@h/n", 300, (300, True)),
        ("postgres://u:p@h/n?conn_max_age=5", None, (5, True)),
        ("postgres://u:p@h/n?conn_max_age=5", 0, (0, False)),
        ("", 30, (30, True)),
    ],
)
def test_database_connection_age_comes_from_the_argument_then_the_url(
    url: str, conn_max_age: int | None, expected: tuple[int, bool], tmp_path: Path
) -> None:
    """DB_CONN_MAX_AGE wins over the URL's conn_max_age; health checks go with reuse."""
    config = database(url, sqlite_file=tmp_path / "db.sqlite3", conn_max_age=conn_max_age)

    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == expected


def test_database_negative_connection_age_is_a_clear_error() -> None:
    """Django reads None as "forever"; a negative number is refused with what to set."""
    with pytest.raises(ImproperlyConfigured, match="DB_CONN_MAX_AGE is -1"):
        database("postgres://u:p@h/n", sqlite_file=Path("x"), conn_max_age=-1)


@pytest.mark.parametrize("url", ["foo://x/y", "not a url", "http://db.example/name"])
def test_database_unknown_scheme_is_a_clear_error(url: str) -> None:
    """An unknown scheme stops the server with the scheme and an example, not the password."""
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL has the unknown scheme"):
        database(url, sqlite_file=Path("x"))


def test_mailers_default_to_console_in_debug_else_smtp_on_localhost(tmp_path: Path) -> None:
    assert mailers("", debug=True, var_dir=tmp_path) == {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    }
    assert mailers("", debug=False, var_dir=tmp_path) == {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "localhost",
                "port": 25,
                "username": "",
                "password": "",
                "use_tls": False,
                "use_ssl": False,
                "timeout": 10,
            },
        }
    }


@pytest.mark.parametrize(
    ("url", "host", "port", "use_tls", "use_ssl"),
    [
        ("smtp://mail.example", "mail.example", 25, False, False),
        ("smtp+tls://mail.example", "mail.example", 587, True, False),
        ("smtp+ssl://mail.example", "mail.example", 465, False, True),
        ("smtp+tls://mail.example:2525", "mail.example", 2525, True, False),
    ],
)
def test_mailers_smtp_ports_follow_the_scheme(
    url: str, host: str, port: int, use_tls: bool, use_ssl: bool, tmp_path: Path
) -> None:
    options = mailers(url, debug=False, var_dir=tmp_path)["default"]["OPTIONS"]

    assert (options["host"], options["port"]) == (host, port)
    assert (options["use_tls"], options["use_ssl"]) == (use_tls, use_ssl)


def test_mailers_smtp_credentials_are_url_decoded(tmp_path: Path) -> None:
    options = mailers(
        "smtp+tls://shop%40example.com:p%40ss@mail.example:587", debug=False, var_dir=tmp_path
    )["default"]["OPTIONS"]

    assert (options["username"], options["password"]) == ("shop@example.com", "p@ss")


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("filemail:///srv/mail/outbox", "/srv/mail/outbox"),
        ("filemail://outbox/shop_a", "{var}/outbox/shop_a"),
        ("filemail://outbox", "{var}/outbox"),
        ("filemail://", "{var}/mail"),
    ],
)
def test_mailers_filemail_folder(url: str, folder: str, tmp_path: Path) -> None:
    """filemail:/// is absolute (the identity server's e2e mail), anything else under VAR_DIR."""
    expected = folder.format(var=tmp_path)

    assert mail_folder(url, var_dir=tmp_path) == Path(expected)
    assert mailers(url, debug=False, var_dir=tmp_path) == {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": expected},
        }
    }


@pytest.mark.parametrize(
    ("url", "backend"),
    [("memorymail://", "locmem"), ("dummymail://", "dummy"), ("consolemail://", "console")],
)
def test_mailers_other_backends_take_no_options(url: str, backend: str, tmp_path: Path) -> None:
    assert mailers(url, debug=False, var_dir=tmp_path) == {
        "default": {"BACKEND": f"django.core.mail.backends.{backend}.EmailBackend"}
    }


@pytest.mark.parametrize("url", ["http://mail.example", "mail.example"])
def test_mailers_unknown_scheme_is_a_clear_error(url: str, tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="Invalid email schema"):
        mailers(url, debug=False, var_dir=tmp_path)


def test_cache_defaults_to_a_database_table_with_the_projects_prefix() -> None:
    """No CACHE_URL: a table every process shares, keys prefixed with the project."""
    assert cache("", table="shop_cache", key_prefix="shop_a") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "shop_cache",
        "KEY_PREFIX": "shop_a",
    }


def test_cache_url_is_used_with_the_projects_prefix() -> None:
    """A redis URL gets Django's Redis cache with a client kept per pool (caches.py)."""
    assert cache("redis://127.0.0.1:6379/1", table="shop_cache", key_prefix="shop_b") == {
        "BACKEND": "stack_settings.caches.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
        "KEY_PREFIX": "shop_b",
    }


def test_cache_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="Invalid cache schema"):
        cache("memcached-ish://x", table="shop_cache", key_prefix="shop_a")


def test_templates_put_the_project_dirs_first_and_add_processors_after_djangos() -> None:
    """The project's folders, then the apps'; Django's processors, then the project's."""
    (engine,) = templates([Path("/p/templates")], context_processors=["shop.cp"])

    assert engine["DIRS"] == [Path("/p/templates")]
    assert engine["APP_DIRS"] is True
    assert engine["OPTIONS"]["context_processors"] == [*STANDARD_CONTEXT_PROCESSORS, "shop.cp"]
