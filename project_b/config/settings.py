"""Settings of shop B, A's fork: shop A's settings, then what makes B itself.

Read project_a/config/settings.py first: B runs the same shop with the same apps, middleware,
sign-in, storage and logging (`pip install -e project_a` installs A's config as `shop_a_config`).
B changes its name and look, public URL, secret key, database, cache prefix, cookies and folders,
finds its own templates first, and adds its own app, b_extras. Every value A derives from its
identity is set again here; b_extras/tests/test_shop_b.py checks that none of A's is left.
"""

from pathlib import Path

from shop_a_config.settings import *  # noqa: F403
from shop_a_config.settings import DEBUG, INSTALLED_APPS, TEMPLATES, VAR_DIR, env
from stack_settings import cache, cookie_names, database, origin, secret_key, site_url
from stack_settings.metrics import metrics_db_engine
from stack_settings.production import hsts_seconds

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = secret_key(env.str("SECRET_KEY", default=""), debug=DEBUG, project="shop_b")
SHOP_URL = site_url(env.str("SHOP_B_URL", default="http://localhost:8002"))

# B's wishlists. Its templates/ (overrides of the shop's include points) come before A's
# (the error pages), which come before the apps'.
INSTALLED_APPS = [*INSTALLED_APPS, "b_extras"]
TEMPLATES = [{**TEMPLATES[0], "DIRS": [BASE_DIR / "templates", *TEMPLATES[0]["DIRS"]]}]

DATABASES = {
    "default": database(
        env.str("DATABASE_URL", default=""),
        sqlite_file=VAR_DIR / "shop_b.sqlite3",
        # Persistent connections (60 s on PostgreSQL unless set): docs/performance.md.
        conn_max_age=env.int("DB_CONN_MAX_AGE", default=None),
        # PostgreSQL cancels longer statements and lock waits (15 s and 5 s unless set).
        statement_timeout_ms=env.int("DB_STATEMENT_TIMEOUT_MS", default=None),
        lock_timeout_ms=env.int("DB_LOCK_TIMEOUT_MS", default=None),
    ),
}
# django-prometheus's wrapper of the same engine counts queries and connections (/metrics).
DATABASES["default"]["ENGINE"] = metrics_db_engine(DATABASES["default"]["ENGINE"])
CACHES = {
    "default": cache(env.str("CACHE_URL", default=""), table="shop_cache", key_prefix="shop_b"),
}

SHOP = {
    "NAME": env.str("SHOP_NAME", default="Shop B"),
    "TAGLINE": "Small batches, big ideas.",
    "ACCENT_COLOR": "#b45309",
    "EXTRA_STYLESHEETS": ["b_extras/shop_b.css"],
}

SHOP_IS_HTTPS = SHOP_URL.startswith("https://")
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names("shop_b", https=SHOP_IS_HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SHOP_IS_HTTPS
SECURE_HSTS_SECONDS = hsts_seconds(SHOP_URL, env.int("SECURE_HSTS_SECONDS", default=None))
CSRF_TRUSTED_ORIGINS = [origin(SHOP_URL)]

STATIC_ROOT = VAR_DIR / "static" / "shop_b"
MEDIA_ROOT = VAR_DIR / "media" / "shop_b"
