"""Settings of the identity server (the OpenID Provider).

Every value comes from the environment (see docs/contract.md and .env.example); the defaults
are for a developer's machine.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from oidc.keys import signing_keys_load
from stack_settings import cache, cookie_names, database, mailers, secret_key, templates
from stack_settings.metrics import metrics_db_engine
from stack_settings.observability import log_format, logging_config
from stack_settings.production import StackEnv, hsts_seconds, proxy_ssl_header

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

# Each variable NAME can instead be read from the file named by NAME_FILE (mounted secrets).
env = StackEnv()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = secret_key(env.str("SECRET_KEY", default=""), debug=DEBUG, project="idp")

VAR_DIR = Path(env.str("VAR_DIR", default=str(REPO_DIR / "var")))
# `manage.py seed_demo` creates the demo accounts, whose passwords are published, only when
# this is on: a dev stack (scripts/entrypoint.sh sets it where var/dev.env holds generated
# dev secrets) or DEBUG. Production seeds none.
SEED_DEMO_USERS = env.bool("SEED_DEMO_USERS", default=DEBUG)
IDP_URL = env.str("IDP_URL", default="http://localhost:8000").rstrip("/")
IDP_IS_HTTPS = urlsplit(IDP_URL).scheme == "https"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [IDP_URL]

INSTALLED_APPS = [
    # Django
    # django.contrib.admin, its site open to staff signed in with two factors only.
    "accounts.admin_config.IdentityAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Third party
    "oauth2_provider",
    "rest_framework",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Ours
    "accounts",
    "oidc",
    "api",
    "audit",
    "events",
    # Prometheus metrics at /metrics: requests and queries (django-prometheus), sign-ins,
    # token grants and deliveries (config/metrics.py, whose receivers this app connects).
    "django_prometheus",
    "config.apps.MetricsConfig",
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
    "config.middleware.RejectMalformedInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends IdP sessions that were idle or too old; records when a session was last seen.
    "accounts.middleware.IdPSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = templates([BASE_DIR / "templates"])

# SQLite (the embedded default) waits for the write lock instead of failing with "database is
# locked" when sign-ins come at once (stack_settings.SQLITE_OPTIONS).
DATABASES = {
    "default": database(
        env.str("DATABASE_URL", default=""),
        sqlite_file=VAR_DIR / "identity_server.sqlite3",
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
# Shop databases that manage.py import_users reads are added as `import_<name>` at run time:
# this router refuses writes and migrations on them.
DATABASE_ROUTERS = ["accounts.routers.ImportSourceRouter"]

AUTH_USER_MODEL = "accounts.User"
# Every password check goes through the sign-in throttle (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/account/profile/"
LOGOUT_REDIRECT_URL = "/account/login/"
# NIST SP 800-63B §3.1.1.2: length, no composition rules, known and context words refused.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 4096  # keeps hashing bounded
PRODUCT_NAME = env.str("PRODUCT_NAME", default="Identity")
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "given_name", "family_name", "nickname"]},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "accounts.password_validation.MaximumLengthValidator",
        "OPTIONS": {"max_length": PASSWORD_MAX_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.password_validation.ContextWordsValidator"},
]
# Argon2id with parameters measured by `make bench` (docs/account-security.md): OWASP's
# minimum is m=19 MiB, t=2, p=1.
ARGON2_MEMORY_KIB = env.int("ARGON2_MEMORY_KIB", default=19 * 1024)
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
ARGON2_PARALLELISM = 1
# Hashes one worker process runs at once; more wait (accounts/hashers.py). Each keeps
# ARGON2_MEMORY_KIB resident, so this bounds a worker's memory (docs/performance.md).
ARGON2_CONCURRENT_HASHES = env.int("ARGON2_CONCURRENT_HASHES", default=1)
if ARGON2_CONCURRENT_HASHES < 1:
    raise ImproperlyConfigured("ARGON2_CONCURRENT_HASHES must be 1 or more.")
PASSWORD_HASHERS = [
    # The first hasher makes every new hash; Django rehashes older ones at the next sign-in.
    "accounts.hashers.Argon2idPasswordHasher",
    # Hashes made before argon2id, and those imported from shops (manage.py import_users,
    # docs/user-import.md): they verify, then are rehashed.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Salted MD5, the last legacy format Django 6.1 still ships, for old shops' hashes.
    "django.contrib.auth.hashers.MD5PasswordHasher",
    # Client secrets only (OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"]): see oidc/hashers.py.
    "oidc.hashers.ClientSecretHasher",
]
# Password reset links live this long and die at any password change (Django's token).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=30 * 60)
# Email verification links (registration, email change) live this long.
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 24 * 3600)
# At most one mail of a kind (verification, reset, "someone used your address") to one
# address this often, so nobody can flood an inbox through the account pages.
ACCOUNT_MAIL_INTERVAL_SECONDS = env.int("ACCOUNT_MAIL_INTERVAL_SECONDS", default=60)

# Shared state of every IdP process (sign-in throttle counters, WebAuthn challenges): one
# CACHE_URL, e.g. redis://127.0.0.1:6379/0. The embedded default is a database table
# (`manage.py createcachetable`, run by the setup step), shared by the processes of one host.
# Redis through stack_settings.caches (a client kept per connection pool).
CACHES = {
    "default": cache(
        env.str("CACHE_URL", default=""),
        table="idp_cache",
        key_prefix=env.str("CACHE_KEY_PREFIX", default="idp"),
    )
}

# The client address: REMOTE_ADDR, unless the request comes from one of these proxies
# (addresses or networks), whose X-Forwarded-For is then read (config/client_ip.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Behind those proxies, X-Forwarded-Proto says whether the browser used https.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(TRUSTED_PROXIES)

# Failed sign-ins, counted per account and per client IP (docs/account-security.md): the first
# *_FREE_FAILURES cost nothing; each later one makes the next try wait 1, 2, 4... s (at most
# SIGN_IN_LOCKOUT_SECONDS); from *_LOCKOUT_FAILURES on, each one locks for
# SIGN_IN_LOCKOUT_SECONDS. A count is forgotten SIGN_IN_LOCKOUT_SECONDS after its wait ends.
SIGN_IN_FREE_FAILURES = env.int("SIGN_IN_FREE_FAILURES", default=5)
SIGN_IN_LOCKOUT_FAILURES = env.int("SIGN_IN_LOCKOUT_FAILURES", default=30)
SIGN_IN_IP_FREE_FAILURES = env.int("SIGN_IN_IP_FREE_FAILURES", default=30)
SIGN_IN_IP_LOCKOUT_FAILURES = env.int("SIGN_IN_IP_LOCKOUT_FAILURES", default=300)
SIGN_IN_LOCKOUT_SECONDS = env.int("SIGN_IN_LOCKOUT_SECONDS", default=15 * 60)

# IdP sessions end after this long without a request, and this long after sign-in at most.
IDP_SESSION_IDLE_SECONDS = env.int("IDP_SESSION_IDLE_SECONDS", default=8 * 3600)
IDP_SESSION_MAX_AGE_SECONDS = env.int("IDP_SESSION_MAX_AGE_SECONDS", default=7 * 24 * 3600)
SESSION_COOKIE_AGE = IDP_SESSION_MAX_AGE_SECONDS
# Django's database sessions, a new session's row written once, by the response: the engine
# the shops use too (sso_client/session_engine.py, docs/performance.md).
SESSION_ENGINE = "sso_client.session_engine"
# `manage.py purge_expired` deletes an ended IdP session (and its links to clients) this long
# after it ended: the account's sessions page and the audit trail may refer to it meanwhile.
IDP_SESSION_RETENTION_SECONDS = env.int("IDP_SESSION_RETENTION_SECONDS", default=30 * 24 * 3600)
# Email, password and two-step settings ask to sign in again after this long.
RECENT_AUTH_SECONDS = env.int("RECENT_AUTH_SECONDS", default=5 * 60)

# Two-step sign-in: TOTP apps show this issuer; passkeys are bound to the IdP's host name.
OTP_TOTP_ISSUER = PRODUCT_NAME
# django-otp's own per-device delay off: wrong codes count in the sign-in throttle above.
OTP_TOTP_THROTTLE_FACTOR = 0
# django-otp's admin would show every user's TOTP secret and QR code to any staff member.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="") or urlsplit(IDP_URL).hostname or "localhost"
WEBAUTHN_RP_NAME = PRODUCT_NAME
WEBAUTHN_ORIGIN = IDP_URL

# Own cookie names: browsers share cookies across the ports of one host, and the shops run
# on other ports of localhost in development; over https, `__Host-` ones.
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names("idp", https=IDP_IS_HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = IDP_IS_HTTPS
# Over https: browsers refuse plain http to this host for a year (HSTS), and a request that
# reached the trusted proxy over http is redirected, probes and metrics excepted.
SECURE_HSTS_SECONDS = hsts_seconds(IDP_URL, env.int("SECURE_HSTS_SECONDS", default=None))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=bool(SECURE_PROXY_SSL_HEADER))
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static" / "identity_server"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Compressed, hashed names cached for a year (stack_settings/staticfiles.py).
            else "stack_settings.staticfiles.CompressedManifestStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Avatars: at most 2 MB (accounts/validators.py); the request may carry a little more.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Django 6.1 MAILERS from one EMAIL_URL: filemail:///abs/folder writes one file per connection
# there (filemail://folder: under VAR_DIR), smtp+tls://user:password@host sends.
MAILERS = mailers(env.str("EMAIL_URL", default=""), debug=DEBUG, var_dir=VAR_DIR)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Identity <no-reply@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauth2_provider.contrib.rest_framework.OAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
}

OIDC_ISS_ENDPOINT = env.str("OIDC_ISS_ENDPOINT", default=f"{IDP_URL}/o").rstrip("/")
OIDC_RSA_PRIVATE_KEY_FILE = Path(
    env.str("OIDC_RSA_PRIVATE_KEY_FILE", default=str(VAR_DIR / "oidc_rsa.pem"))
)
OIDC_RSA_RETIRED_KEY_FILES = env.list("OIDC_RSA_RETIRED_KEY_FILES", default=[])
# The signing keys `manage.py oidc_keys` rotates (oidc/keys.py): the newest signing key of the
# directory signs, retired ones stay published; OIDC_RSA_PRIVATE_KEY_FILE signs while the
# directory holds none (an install from before it), the retired files are published either way.
OIDC_KEYS_DIR = Path(env.str("OIDC_KEYS_DIR", default=str(VAR_DIR / "keys")))
OIDC_RSA_PRIVATE_KEY, OIDC_RSA_PRIVATE_KEYS_INACTIVE = signing_keys_load(
    keys_dir=OIDC_KEYS_DIR,
    key_file=OIDC_RSA_PRIVATE_KEY_FILE,
    retired_files=OIDC_RSA_RETIRED_KEY_FILES,
    debug=DEBUG,
)
# /readyz checks the database and the cache, and that the signing key is loaded.
READINESS_CHECKS = {"signing_key": "config.views.signing_key_check"}

# The outbox worker (`manage.py deliver_events`, docs/events.md): back-channel logout tokens
# and Security Event Tokens, retried with exponential backoff and jitter from
# EVENTS_RETRY_BASE_SECONDS up to EVENTS_RETRY_MAX_DELAY_SECONDS between attempts, for
# EVENTS_RETRY_FOR_SECONDS after the change; then the delivery fails.
EVENTS_RETRY_BASE_SECONDS = env.float("EVENTS_RETRY_BASE_SECONDS", default=5.0)
EVENTS_RETRY_MAX_DELAY_SECONDS = env.float("EVENTS_RETRY_MAX_DELAY_SECONDS", default=3600.0)
EVENTS_RETRY_FOR_SECONDS = env.float("EVENTS_RETRY_FOR_SECONDS", default=86400.0)
# Each POST waits at most this long for the client (a frozen shop holds one worker thread).
EVENTS_HTTP_TIMEOUT_SECONDS = env.float("EVENTS_HTTP_TIMEOUT_SECONDS", default=5.0)
# How often an idle worker looks for due deliveries, and how many it claims at once.
EVENTS_POLL_SECONDS = env.float("EVENTS_POLL_SECONDS", default=1.0)
EVENTS_BATCH_SIZE = env.int("EVENTS_BATCH_SIZE", default=50)
EVENTS_WORKER_THREADS = env.int("EVENTS_WORKER_THREADS", default=8)
# A claimed delivery is another worker's again after this long (its worker died mid-POST).
EVENTS_LEASE_SECONDS = env.float("EVENTS_LEASE_SECONDS", default=60.0)
# Delivered and cancelled deliveries (and their events) are purged after this many days.
EVENTS_KEEP_DAYS = env.int("EVENTS_KEEP_DAYS", default=7)
# The worker ends expired IdP sessions and runs purge_expired this often.
EVENTS_MAINTENANCE_SECONDS = env.float("EVENTS_MAINTENANCE_SECONDS", default=300.0)

# DOT's swappable models, named so that migrations pointing at them resolve (DOT's defaults).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 (a model)
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105 (a model)
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105 (a model)
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# Token lifetimes in seconds. Short access and ID tokens limit what a leaked token is worth;
# shops keep users signed in with their own session and the refresh token.
OIDC_ACCESS_TOKEN_LIFETIME = env.int("OIDC_ACCESS_TOKEN_LIFETIME", default=300)
OIDC_ID_TOKEN_LIFETIME = env.int("OIDC_ID_TOKEN_LIFETIME", default=300)
OIDC_REFRESH_TOKEN_LIFETIME = env.int("OIDC_REFRESH_TOKEN_LIFETIME", default=14 * 24 * 3600)

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": OIDC_ACCESS_TOKEN_LIFETIME,
    "ID_TOKEN_EXPIRE_SECONDS": OIDC_ID_TOKEN_LIFETIME,
    # Idle lifetime: a refresh token dies this long after its last access token expired.
    "REFRESH_TOKEN_EXPIRE_SECONDS": OIDC_REFRESH_TOKEN_LIFETIME,
    # The issuer is configured, never derived from the Host header.
    "OIDC_ISS_ENDPOINT": OIDC_ISS_ENDPOINT,
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": OIDC_RSA_PRIVATE_KEYS_INACTIVE,
    "OAUTH2_VALIDATOR_CLASS": "oidc.validators.IdPValidator",
    "OAUTH2_BACKEND_CLASS": "oidc.backends.IdPOAuthLibCore",
    "SCOPES": {
        "openid": "Sign you in (your account identifier)",
        "profile": "Your name, nickname, picture and language",
        "email": "Your email address",
        "phone": "Your phone number",
        "groups": "The groups you belong to",
        # A service scope (oidc.constants.SERVICE_SCOPES): client credentials grant only.
        "users:read": "Look up users (service)",
        "users:sync": "Reconcile users (service)",
    },
    "DEFAULT_SCOPES": ["openid"],
    # RFC 9700 §2.1.1: PKCE for every client, S256 only.
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # RFC 9700 §2.1.2 and §2.4: no implicit, no password grant.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    # Discovery advertises the authorization-code flow only, which is all a client gets.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    # RFC 9700 §4.3.2: access tokens only in the Authorization header, never the query.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    # RFC 9207: `iss` in every authorization response (mix-up defence, RFC 9700 §4.4).
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    # RFC 9700 §4: store only a hash of access and refresh tokens.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # RFC 9700 §4.14.2: rotate refresh tokens and revoke the family when one is replayed.
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # RFC 9700 §4.1.1: exact redirect URI matching.
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "ALLOW_URI_WILDCARDS": False,
    # RFC 9700 §2.1: http redirect URIs only while the IdP itself runs on plain http, i.e. a
    # developer's localhost; an https deployment accepts https callbacks only.
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if IDP_IS_HTTPS else ["http", "https"],
    # Browser apps' origins (CORS) follow the same rule.
    "ALLOWED_SCHEMES": ["https"] if IDP_IS_HTTPS else ["http", "https"],
    # OpenID Connect RP-Initiated Logout 1.0: a shop's id_token_hint ends the IdP session
    # without a prompt, and only registered post_logout_redirect_uris are followed.
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # The end of the IdP session revokes the tokens issued within it (oidc/services/
    # sessions.py); DOT's default would delete every token of the user, in every browser.
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    # PBKDF2 costs 0.4-0.8 s of CPU per token request (measured) for a 128-character random
    # secret that needs no key stretching: see oidc/hashers.py.
    "CLIENT_SECRET_HASHER": "client_sha256",
}

# /metrics answers the internal network, or anyone with this bearer token
# (docs/operations.md, "Metrics").
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# One line per record on stdout, with the request id: JSON unless DEBUG (LOG_FORMAT=json|text).
LOGGING = logging_config(
    log_format=log_format(env.str("LOG_FORMAT", default=""), debug=DEBUG),
    level=env.str("LOG_LEVEL", default="INFO"),
)
