"""Settings of the identity server (the OpenID Provider).

Every value comes from the environment (see docs/contract.md and .env.example); the defaults
are for a developer's machine.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from oidc.keys import retired_keys_load, signing_key_load

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG is on.")
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 (only ever used with DEBUG)

VAR_DIR = Path(env.str("VAR_DIR", default=str(REPO_DIR / "var")))
IDP_URL = env.str("IDP_URL", default="http://localhost:8000").rstrip("/")
IDP_IS_HTTPS = urlsplit(IDP_URL).scheme == "https"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [IDP_URL]

INSTALLED_APPS = [
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Third party
    "oauth2_provider",
    "rest_framework",
    # Ours
    "accounts",
    "oidc",
    "api",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RejectMalformedInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'identity_server.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must work on a fresh checkout: SQLite creates the file, not its folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Concurrent sign-ins must wait for the write lock instead of failing with
    # "database is locked": IMMEDIATE takes it at BEGIN, WAL lets readers run alongside.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Shop databases that manage.py import_users reads are added as `import_<name>` at run time:
# this router refuses writes and migrations on them.
DATABASE_ROUTERS = ["accounts.routers.ImportSourceRouter"]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/account/profile/"
LOGOUT_REDIRECT_URL = "/account/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    # The first hasher makes every new hash: Django's PBKDF2.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # The others only verify hashes imported from shops (manage.py import_users,
    # docs/user-import.md); Django rehashes with PBKDF2 at the user's first sign-in.
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Salted MD5, the last legacy format Django 6.1 still ships, for old shops' hashes.
    "django.contrib.auth.hashers.MD5PasswordHasher",
    # Client secrets only (OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"]): see oidc/hashers.py.
    "oidc.hashers.ClientSecretHasher",
]

# Own cookie names: browsers share cookies across the ports of one host, and the shops run
# on other ports of localhost in development.
SESSION_COOKIE_NAME = "idp_sessionid"
CSRF_COOKIE_NAME = "idp_csrftoken"
SESSION_COOKIE_SECURE = IDP_IS_HTTPS
CSRF_COOKIE_SECURE = IDP_IS_HTTPS

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
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Avatars: at most 2 MB (accounts/validators.py); the request may carry a little more.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Django 6.1 MAILERS, built from one django-environ EMAIL_URL.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_email_options: dict[str, object] = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _email_options = {
        "host": _email["EMAIL_HOST"],
        "port": _email["EMAIL_PORT"],
        "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"],
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
    }
elif _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    _email_options = {"file_path": _email["EMAIL_FILE_PATH"]}
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}

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
# Back-channel logout POSTs wait at most this long for each shop (OIDC Back-Channel Logout 1.0).
OIDC_BACKCHANNEL_LOGOUT_TIMEOUT = 3

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
    "OIDC_RSA_PRIVATE_KEY": signing_key_load(path=OIDC_RSA_PRIVATE_KEY_FILE, debug=DEBUG),
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": retired_keys_load(paths=OIDC_RSA_RETIRED_KEY_FILES),
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
