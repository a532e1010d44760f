"""Settings of shop A, read from the environment (docs/contract.md, "Environment").

Shop B, A's fork, starts from these settings and changes what makes it B
(project_b/config/settings.py). Values the three projects of the stack compute alike (secret key,
database, cache, mail, cookie names) come from stack_settings (shared_settings/).
"""

from pathlib import Path

from stack_settings import (
    cache,
    cookie_names,
    database,
    mailers,
    origin,
    secret_key,
    site_url,
    templates,
)
from stack_settings.metrics import metrics_db_engine
from stack_settings.observability import log_format, logging_config
from stack_settings.production import StackEnv, hsts_seconds, proxy_ssl_header

# Each variable NAME can instead be read from the file named by NAME_FILE (mounted secrets).
env = StackEnv()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR.parent / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = secret_key(env.str("SECRET_KEY", default=""), debug=DEBUG, project="shop_a")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
# The shop's public URL, and the identity server's (where customers sign in).
SHOP_URL = site_url(env.str("SHOP_A_URL", default="http://localhost:8001"))
IDP_URL = site_url(env.str("IDP_URL", default="http://localhost:8000"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Sign-in through the identity server: shadow users, logout everywhere.
    "sso_client",
    # The shop: catalog, cart, checkout, orders (project_a/shop, shared with shop B).
    "shop",
    # Prometheus metrics at /metrics: requests and queries (django-prometheus), shadow users
    # (shop/metrics.py).
    "django_prometheus",
]

MIDDLEWARE = [
    # First: the request id of every log record, and the time of the whole request.
    "stack_settings.observability.RequestIdMiddleware",
    # Requests by view and status, and their latency (stack_settings/metrics.py).
    "stack_settings.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Drops an SSO session the identity server has ended (SSO_CLIENT["SESSION_RECHECK_SECONDS"]).
    "sso_client.middleware.SessionRecheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Binds the request id for sso_client's calls to the identity server.
    "sso_client.transport.RequestIdMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# The project's error pages (400, 403, 403_csrf, 404, 500), found before the apps'.
TEMPLATES = templates(
    [BASE_DIR / "templates"],
    context_processors=["sso_client.context_processors.sso", "shop.context_processors.shop"],
)

DATABASES = {
    "default": database(
        env.str("DATABASE_URL", default=""),
        sqlite_file=VAR_DIR / "shop_a.sqlite3",
        # Persistent connections (60 s on PostgreSQL unless set): docs/performance.md.
        conn_max_age=env.int("DB_CONN_MAX_AGE", default=None),
        # PostgreSQL cancels longer statements and lock waits (15 s and 5 s unless set).
        statement_timeout_ms=env.int("DB_STATEMENT_TIMEOUT_MS", default=None),
        lock_timeout_ms=env.int("DB_LOCK_TIMEOUT_MS", default=None),
    ),
}
# django-prometheus's wrapper of the same engine counts queries and connections (/metrics).
DATABASES["default"]["ENGINE"] = metrics_db_engine(DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Shared by every gunicorn process: sso_client keeps the provider's keys and the logout tokens
# already seen (replay protection) here. The default is a table (`manage.py createcachetable`).
CACHES = {
    "default": cache(env.str("CACHE_URL", default=""), table="shop_cache", key_prefix="shop_a"),
}

# Users live at the identity server; the shop keeps a shadow of each (shared_client/README.md).
AUTHENTICATION_BACKENDS = ["sso_client.backends.SSOBackend"]
LOGIN_URL = "sso_client:login"
SSO_CLIENT = {
    "ISSUER": env.str("SSO_ISSUER", default=f"{IDP_URL}/o"),
    "CLIENT_ID": env.str("SSO_CLIENT_ID", default=""),
    "CLIENT_SECRET": env.str("SSO_CLIENT_SECRET", default=""),
    # Staff rights come from the identity server's groups, sent with the `groups` scope.
    "SCOPES": "openid email profile groups",
    "STAFF_GROUPS": ["shop-staff", "shop-admins"],
    "SUPERUSER_GROUPS": ["shop-admins"],
    "ACCOUNT_URL": f"{IDP_URL}/account/profile/",
    # Sign-in errors and the admin's "no access" page render inside the shop's layout.
    "BASE_TEMPLATE": "shop/base.html",
    # How often a session is re-checked at the identity server (0: never; sso_client's README).
    "SESSION_RECHECK_SECONDS": env.int("SSO_SESSION_RECHECK_SECONDS", default=300),
}

# The shop's own options (project_a/shop/conf.py lists them with their defaults).
SHOP = {
    "NAME": env.str("SHOP_NAME", default="Shop A"),
    "TAGLINE": "Everyday things, well made.",
    "ACCENT_COLOR": "#2563eb",
}

SHOP_IS_HTTPS = SHOP_URL.startswith("https://")
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names("shop_a", https=SHOP_IS_HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SHOP_IS_HTTPS
CSRF_TRUSTED_ORIGINS = [origin(SHOP_URL)]
# The TLS-terminating proxies (addresses or networks): only behind one is X-Forwarded-Proto
# believed. Over https: HSTS for a year, and http requests that reached the proxy redirected.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(TRUSTED_PROXIES)
SECURE_HSTS_SECONDS = hsts_seconds(SHOP_URL, env.int("SECURE_HSTS_SECONDS", default=None))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=bool(SECURE_PROXY_SSL_HEADER))
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Django's database sessions, each request's writes in one statement and login()'s new key
# stored by the response (sso_client's README, docs/performance.md).
SESSION_ENGINE = "sso_client.session_engine"
# Flash messages in the session: Django's default keeps them in a cookie named "messages",
# which every project on the ports of localhost would share.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static" / "shop_a"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, hashed names cached for a year (stack_settings/staticfiles.py).
    "staticfiles": {"BACKEND": "stack_settings.staticfiles.CompressedManifestStorage"},
}
# Serve app static files even before collectstatic has run (embedded single-machine use).
WHITENOISE_USE_FINDERS = True
# Uploaded product images; config/urls.py serves them (docs/shops.md, "Uploaded media").
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media" / "shop_a"

MAILERS = mailers(env.str("EMAIL_URL", default=""), debug=DEBUG, var_dir=VAR_DIR)

# /metrics answers the internal network, or anyone with this bearer token
# (docs/operations.md, "Metrics").
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# One line per record on stdout, with the request id: JSON unless DEBUG (LOG_FORMAT=json|text).
LOGGING = logging_config(
    log_format=log_format(env.str("LOG_FORMAT", default=""), debug=DEBUG),
    level=env.str("LOG_LEVEL", default="INFO"),
)
