"""Settings values that every project of the stack computes alike from its environment.

Each function returns one value, which a plain ``config/settings.py`` assigns in sight::

    SECRET_KEY = secret_key(env.str("SECRET_KEY", default=""), debug=DEBUG, project="shop_a")
    DATABASES = {"default": database(env.str("DATABASE_URL", default=""), sqlite_file=...)}
    SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names("shop_a")

A value that cannot work raises ImproperlyConfigured with a sentence that says what to fix, so a
server refuses to start instead of failing at its first request. The variables are listed in
docs/contract.md, "Environment".
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from stack_settings.caches import DJANGO_REDIS_BACKEND, REDIS_BACKEND

SQLITE_ENGINE = "django.db.backends.sqlite3"
# Concurrent sign-ins write at once: wait for the lock and take it at BEGIN, so a transaction
# never fails half-way with "database is locked"; WAL lets readers run alongside the writer.
SQLITE_OPTIONS: dict[str, Any] = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;",
}
# Seconds a database server connection is kept for the next requests of its thread, unless
# DB_CONN_MAX_AGE says otherwise: opening one costs about as much CPU as a whole token request
# (docs/performance.md). Each gunicorn thread holds at most one: WEB_WORKERS x WEB_THREADS
# connections per server. SQLite opens a file, not a connection to a server: 0 there.
SERVER_DB_CONN_MAX_AGE = 60
# PostgreSQL: a server that is down answers within a second or two instead of holding a request
# (libpq counts whole seconds, at least 2); a statement or a wait for a lock that takes longer
# than its timeout is cancelled, so a locked table cannot hang requests. Options in the
# URL's query win (?connect_timeout=5&options=-c%20statement_timeout%3D0).
POSTGRES_CONNECT_TIMEOUT_SECONDS = 2
POSTGRES_STATEMENT_TIMEOUT_MS = 15_000
POSTGRES_LOCK_TIMEOUT_MS = 5_000
SMTP_TIMEOUT_SECONDS = 10
# Ports of SMTP without a port in the URL: plain, STARTTLS (RFC 6409), implicit TLS (RFC 8314).
SMTP_PORTS = {"plain": 25, "tls": 587, "ssl": 465}


def secret_key(value: str, *, debug: bool, project: str) -> str:
    """Return the SECRET_KEY ``value``; without one, a development key in DEBUG, else raise.

    The development key names the project, so that two projects run side by side in DEBUG
    never accept each other's signed values.
    """
    if value:
        return value
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG is on.")
    return f"insecure-debug-only-{project}"


def site_url(value: str) -> str:
    """Return a project's public URL without its trailing slash.

    Raise unless it is an http(s) URL with a host: the URL becomes the CSRF trusted origin and
    the redirect URIs registered at the identity server, where anything else breaks later.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"{value!r} is not a public URL: use http(s)://host[:port], e.g. http://localhost:8001."
        )
    return value.rstrip("/")


def origin(url: str) -> str:
    """Return the origin (scheme://host[:port]) of a URL, as CSRF_TRUSTED_ORIGINS wants it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def cookie_names(project: str, *, https: bool = False) -> tuple[str, str]:
    """Return the project's session and CSRF cookie names.

    Browsers share cookies across the ports of one host (RFC 6265 §8.5), and the projects run on
    ports of localhost in development: each project names its own, or they overwrite each other.
    Over ``https`` the names start with ``__Host-`` (RFC 6265bis §4.1.3.2): a browser then keeps
    them only when they are Secure, for "/", with no Domain, so neither a sibling subdomain nor a
    plain-http page can plant a session or CSRF cookie.
    """
    prefix = "__Host-" if https else ""
    return f"{prefix}{project}_sessionid", f"{prefix}{project}_csrftoken"


def database(
    url: str,
    *,
    sqlite_file: Path,
    conn_max_age: int | None = None,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
) -> dict[str, Any]:
    """Return DATABASES["default"] for a DATABASE_URL, or for ``sqlite_file`` when it is empty.

    SQLite gets SQLITE_OPTIONS (options in the URL's query win) and the folder of its file,
    which SQLite does not create, so the embedded default works on a fresh checkout.
    PostgreSQL gets a connect timeout and the statement and lock timeouts
    (``postgres_options``).

    ``conn_max_age`` (DB_CONN_MAX_AGE) is how long a connection serves the following requests
    of its thread: None is the URL's ``?conn_max_age=`` if any, else SERVER_DB_CONN_MAX_AGE
    for a database server and 0 for SQLite; 0 closes it after each request. A kept
    connection is checked before each request (CONN_HEALTH_CHECKS), so a server restart
    costs a reconnect, not an error.
    """
    if conn_max_age is not None and conn_max_age < 0:
        raise ImproperlyConfigured(
            f"DB_CONN_MAX_AGE is {conn_max_age}: use a number of seconds, or 0 to close the "
            "connection after each request (Django's unlimited None is not offered)."
        )
    if not url:
        config: dict[str, Any] = {"ENGINE": SQLITE_ENGINE, "NAME": str(sqlite_file)}
    else:
        scheme = urlsplit(url).scheme
        if scheme not in environ.Env.DB_SCHEMES:
            raise ImproperlyConfigured(
                f"DATABASE_URL has the unknown scheme {scheme!r}: use e.g. "
                "postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3."
            )
        config = environ.Env.db_url_config(url)
    is_sqlite = config["ENGINE"] == SQLITE_ENGINE
    if conn_max_age is None:
        # A ?conn_max_age= in the URL (django-environ reads it) comes next.
        conn_max_age = int(config.get("CONN_MAX_AGE", 0 if is_sqlite else SERVER_DB_CONN_MAX_AGE))
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = conn_max_age > 0
    if config["ENGINE"] in POSTGRES_ENGINES:
        config["OPTIONS"] = postgres_options(
            config.get("OPTIONS", {}),
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
        )
    if not is_sqlite:
        return config
    config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    name = str(config["NAME"])
    if name != ":memory:" and not name.startswith("file:"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    return config


POSTGRES_ENGINES = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")


def postgres_options(
    options: dict[str, Any],
    *,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
) -> dict[str, Any]:
    """Return PostgreSQL connection OPTIONS: ``options`` (the URL's) over the timeouts.

    The timeouts (DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS; None is the default, 0 is no
    limit) are sent as ``-c`` settings at connect time, before any ``options`` of the URL,
    whose own ``-c`` settings PostgreSQL applies last.
    """
    statement = (
        POSTGRES_STATEMENT_TIMEOUT_MS if statement_timeout_ms is None else statement_timeout_ms
    )
    lock = POSTGRES_LOCK_TIMEOUT_MS if lock_timeout_ms is None else lock_timeout_ms
    for name, value in (("DB_STATEMENT_TIMEOUT_MS", statement), ("DB_LOCK_TIMEOUT_MS", lock)):
        if value < 0:
            raise ImproperlyConfigured(f"{name} is {value}: use milliseconds, or 0 for no limit.")
    settings = f"-c statement_timeout={statement} -c lock_timeout={lock}"
    url_settings = options.get("options", "")
    return {
        "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
        **options,
        "options": f"{settings} {url_settings}".strip(),
    }


def mailers(url: str, *, debug: bool, var_dir: Path) -> dict[str, Any]:
    """Return MAILERS (Django 6.1) for an EMAIL_URL (django-environ's email URL schemes).

    Empty: the console in DEBUG, else SMTP on localhost:25. ``smtp://`` (port 25),
    ``smtp+tls://`` (STARTTLS, port 587), ``smtp+ssl://`` (TLS, port 465), each with
    ``user:password@host:port``; ``filemail:///absolute/folder``, ``filemail://folder`` (under
    ``var_dir``) or ``filemail://`` (``var_dir/mail``), where each connection writes one file;
    ``consolemail://``, ``memorymail://``, ``dummymail://``.
    """
    url = url or ("consolemail://" if debug else "smtp://localhost:25")
    # django-environ raises ImproperlyConfigured("Invalid email schema ...") on others.
    config = environ.Env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    options: dict[str, Any] = {}
    if backend.endswith("filebased.EmailBackend"):
        options = {"file_path": str(mail_folder(url, var_dir=var_dir))}
    elif backend.endswith("smtp.EmailBackend"):
        use_tls, use_ssl = bool(config.get("EMAIL_USE_TLS")), bool(config.get("EMAIL_USE_SSL"))
        if use_tls and use_ssl:
            raise ImproperlyConfigured("EMAIL_URL cannot ask for both STARTTLS and TLS.")
        default_port = SMTP_PORTS["ssl" if use_ssl else "tls" if use_tls else "plain"]
        options = {
            "host": config["EMAIL_HOST"] or "localhost",
            "port": config["EMAIL_PORT"] or default_port,
            "username": config["EMAIL_HOST_USER"] or "",
            "password": config["EMAIL_HOST_PASSWORD"] or "",
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            # A mail server that does not answer must not hold a request forever.
            "timeout": SMTP_TIMEOUT_SECONDS,
        }
    mailer: dict[str, Any] = {"BACKEND": backend}
    if options:
        mailer["OPTIONS"] = options
    return {"default": mailer}


def mail_folder(url: str, *, var_dir: Path) -> Path:
    """Return the folder of a ``filemail://`` URL: absolute after three slashes, else in var_dir.

    django-environ reads the first part of ``filemail://folder/sub`` as a host and drops the
    leading slash of an absolute path, so the URL is read here instead.
    """
    parts = urlsplit(url)
    path = parts.netloc + parts.path
    if not parts.netloc and parts.path.startswith("/"):
        return Path(parts.path)
    return var_dir / (path.strip("/") or "mail")


def cache(url: str, *, table: str, key_prefix: str) -> dict[str, Any]:
    """Return CACHES["default"] for a CACHE_URL, or the database table ``table`` when empty.

    Every process of a project shares either (``manage.py createcachetable`` makes the table);
    a local-memory cache would give each process its own replay protection and key cache.
    ``key_prefix`` keeps projects apart when they share one Redis. Django's Redis backend
    comes with a client kept per connection pool (stack_settings/caches.py).
    """
    # django-environ raises ImproperlyConfigured("Invalid cache schema ...") on unknown ones.
    config = environ.Env.cache_url_config(url or f"dbcache://{table}")
    config.setdefault("KEY_PREFIX", key_prefix)
    if config["BACKEND"] == DJANGO_REDIS_BACKEND:
        config["BACKEND"] = REDIS_BACKEND
    return config


# The context processors of every project's templates (Django's startproject set).
STANDARD_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]


def templates(dirs: list[Path], *, context_processors: list[str] | None = None) -> list[dict]:
    """Return TEMPLATES: Django's engine over ``dirs`` then the apps' templates.

    ``context_processors`` come after Django's standard ones.
    """
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": list(dirs),
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [*STANDARD_CONTEXT_PROCESSORS, *(context_processors or [])]
            },
        }
    ]
