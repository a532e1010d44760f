"""Django settings shared by every project that runs the shop (shop A and its fork, shop B).

A project's ``config/settings.py`` names itself and merges the result into its module namespace::

    from pathlib import Path

    from shop.project_settings import shop_project_settings

    globals().update(
        shop_project_settings(
            project="shop_a",
            base_dir=Path(__file__).resolve().parent.parent,
            public_url_env="SHOP_A_URL",
            default_public_url="http://localhost:8001",
            shop={"NAME": "Shop A", "ACCENT_COLOR": "#2563eb"},
        )
    )

A plain ``from shop.project_settings import *`` cannot work here: the database file, the cookie
names, the public URL and the template directory all depend on which project is importing, so the
shared module is a function of the project's name. Every value comes from the environment
(docs/contract.md, "Environment"), read with django-environ.
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

SQLITE_OPTIONS = {
    # Concurrent sign-ins write at once: wait for the lock and take it at BEGIN, so a
    # transaction never fails half-way with "database is locked" (docs/contract.md).
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _database(env: environ.Env, *, var_dir: Path, project: str) -> dict[str, Any]:
    database = env.db("DATABASE_URL", default=f"sqlite:///{var_dir / f'{project}.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
        if database["NAME"] != ":memory:":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    return database


def _mailers(env: environ.Env, *, debug: bool) -> dict[str, Any]:
    """Return MAILERS (Django 6.1) from EMAIL_URL: console in DEBUG, else SMTP on localhost."""
    config = env.email_url(
        "EMAIL_URL", default="consolemail://" if debug else "smtp://localhost:25"
    )
    backend = config["EMAIL_BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        return {"default": {"BACKEND": backend}}
    options = {
        "host": config.get("EMAIL_HOST") or "localhost",
        "port": config.get("EMAIL_PORT") or 25,
        "username": config.get("EMAIL_HOST_USER") or "",
        "password": config.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(config.get("EMAIL_USE_TLS")),
        "use_ssl": bool(config.get("EMAIL_USE_SSL")),
    }
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


def shop_project_settings(
    *,
    project: str,
    base_dir: Path,
    public_url_env: str,
    default_public_url: str,
    shop: dict[str, Any],
    extra_apps: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return the settings of a shop project, read from the environment.

    ``project`` names the database file and the cookies (``shop_a`` gives ``shop_a.sqlite3`` and
    ``shop_a_sessionid``); ``base_dir`` is the project directory (its ``templates/`` is searched
    before the apps' templates); ``public_url_env`` names the variable holding the shop's public
    URL; ``shop`` is the ``SHOP`` dict (see ``shop.conf``), whose ``NAME`` the ``SHOP_NAME``
    variable overrides; ``extra_apps`` are the project's own apps, installed after ``shop``.
    """
    env = environ.Env()
    debug = env.bool("DEBUG", default=False)
    secret_key = env.str("SECRET_KEY", default="")
    if not secret_key:
        if not debug:
            raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")
        secret_key = f"insecure-dev-only-{project}"
    var_dir = Path(env.str("VAR_DIR", default=str(base_dir.parent / "var")))
    public_url = env.str(public_url_env, default=default_public_url).rstrip("/")
    idp_url = env.str("IDP_URL", default="http://localhost:8000").rstrip("/")
    secure_cookies = public_url.startswith("https://")
    static_root = var_dir / "static" / project
    # WhiteNoise serves STATIC_ROOT (after collectstatic) and warns while it does not exist yet.
    static_root.mkdir(parents=True, exist_ok=True)

    return {
        "BASE_DIR": base_dir,
        "VAR_DIR": var_dir,
        "DEBUG": debug,
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"]),
        "SHOP_URL": public_url,
        "IDP_URL": idp_url,
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "whitenoise.runserver_nostatic",
            "django.contrib.staticfiles",
            "sso_client",
            "shop",
            *extra_apps,
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "config.urls",
        "WSGI_APPLICATION": "config.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [base_dir / "templates"],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "sso_client.context_processors.sso",
                        "shop.context_processors.shop",
                    ],
                },
            },
        ],
        "DATABASES": {"default": _database(env, var_dir=var_dir, project=project)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        # Users live at the identity server; the shop keeps shadows (docs/contract.md).
        "AUTHENTICATION_BACKENDS": ["sso_client.backends.SSOBackend"],
        "LOGIN_URL": "sso_client:login",
        "SSO_CLIENT": {
            "ISSUER": env.str("SSO_ISSUER", default=f"{idp_url}/o"),
            "CLIENT_ID": env.str("SSO_CLIENT_ID", default=""),
            "CLIENT_SECRET": env.str("SSO_CLIENT_SECRET", default=""),
            "ACCOUNT_URL": f"{idp_url}/account/profile/",
            # Sign-in errors render inside the shop's layout.
            "BASE_TEMPLATE": "shop/base.html",
        },
        "SHOP": {**shop, "NAME": env.str("SHOP_NAME", default=shop.get("NAME", "Shop"))},
        # Browsers share cookies across the ports of one host: every project names its own.
        "SESSION_COOKIE_NAME": f"{project}_sessionid",
        "CSRF_COOKIE_NAME": f"{project}_csrftoken",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "CSRF_COOKIE_SECURE": secure_cookies,
        "CSRF_TRUSTED_ORIGINS": [_origin(public_url)],
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": "static/",
        "STATIC_ROOT": static_root,
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        },
        # Serve app static files even when collectstatic has not run (embedded single-machine use).
        "WHITENOISE_USE_FINDERS": True,
        "MEDIA_URL": "media/",
        "MEDIA_ROOT": var_dir / "media" / project,
        "MAILERS": _mailers(env, debug=debug),
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "formatter": "plain",
                },
            },
            "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
        },
    }
