"""Minimal settings to test sso_client on its own (SQLite file, or DATABASE_URL)."""

import atexit
import os
import shutil
import tempfile

_db_dir = tempfile.mkdtemp(prefix="sso_client_tests_")
atexit.register(shutil.rmtree, _db_dir, ignore_errors=True)

SECRET_KEY = "sso-client-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "shop.test"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "sso_client",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sso_client.middleware.SessionRecheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sso_client.context_processors.sso",
            ]
        },
    }
]
AUTHENTICATION_BACKENDS = ["sso_client.backends.SSOBackend"]
# sso_client's engine: Django's database sessions, written once per sign-in (the budgets
# in test_query_budgets.py are also taken with Django's own db engine).
SESSION_ENGINE = "sso_client.session_engine"
# sso_client's shared state goes to its own alias, a cache that processes share (check W003).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "sso": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.path.join(_db_dir, "cache"),
    },
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# SQLite in memory is one database per connection, so the concurrent sign-in test needs a file;
# IMMEDIATE transactions queue writers behind `timeout` instead of failing "database is locked".
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(_db_dir, "sso_client.sqlite3"),
        "TEST": {"NAME": os.path.join(_db_dir, "test_sso_client.sqlite3")},
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}
# The legacy database of sso_client.routers.LegacyReadOnlyRouter: another real database.
DATABASES["legacy"] = {
    **DATABASES["default"],
    "NAME": os.path.join(_db_dir, "legacy.sqlite3"),
    "TEST": {"NAME": os.path.join(_db_dir, "test_legacy.sqlite3")},
}
if os.environ.get("DATABASE_URL"):
    import environ

    _default = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    # PostgreSQL: test databases test_<name> and test_<name>_legacy.
    DATABASES = {"default": _default, "legacy": {**_default, "NAME": f"{_default['NAME']}_legacy"}}
DATABASE_ROUTERS = ["sso_client.routers.LegacyReadOnlyRouter"]

ISSUER = "https://idp.test/o"
SSO_CLIENT = {
    "ISSUER": ISSUER,
    "CLIENT_ID": "shop-client",
    "CLIENT_SECRET": "shop-secret",
    "ACCOUNT_URL": "https://idp.test/account/profile/",
    "CACHE_ALIAS": "sso",
    "LEGACY_DATABASE": "legacy",
    "LEGACY_MODELS": ["testapp.LegacyCustomer"],
}
