"""System checks: fail fast when the client is not configured, or configured wrongly."""

import difflib
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from sso_client.backends import SSOBackend
from sso_client.conf import SETTING_NAME, SSOClientSettings, field_names, type_problems
from sso_client.constants import USERINFO_CHOICES
from sso_client.routers import LegacyReadOnlyRouter

REQUIRED = {
    "ISSUER": ("sso_client.E001", "the issuer URL of the identity provider, e.g. <IDP_URL>/o"),
    "CLIENT_ID": ("sso_client.E002", "the client id registered for this project at the provider"),
    "CLIENT_SECRET": ("sso_client.E003", "the client secret registered with CLIENT_ID"),
}
BACKEND_PATH = "sso_client.backends.SSOBackend"
ROUTER_PATH = "sso_client.routers.LegacyReadOnlyRouter"
RECHECK_MIDDLEWARE_PATH = "sso_client.middleware.SessionRecheckMiddleware"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"
# IdentityLink.issuer holds this many characters.
ISSUER_MAX_LENGTH = 255
# Values a request to the provider or a token check cannot work with.
POSITIVE = (
    "TIMEOUT",
    "LOGOUT_TOKEN_MAX_AGE",
    "LOGOUT_TOKEN_MAX_LIFETIME",
    "EVENT_MAX_BYTES",
    "EVENT_RETRY_AFTER",
    "SESSION_RECHECK_RETRY_SECONDS",
)
NOT_NEGATIVE = (
    "DISCOVERY_CACHE_SECONDS",
    "JWKS_CACHE_SECONDS",
    "JWKS_REFETCH_INTERVAL",
    "LEEWAY",
    "SESSION_RECHECK_SECONDS",
)
# Caches each process holds alone: a replay refused by one process is accepted by the next.
UNSHARED_CACHES = (LocMemCache, DummyCache)


def check_sso_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report an SSO_CLIENT that is not a dict, has unknown keys, wrong types or missing values."""
    raw = getattr(settings, SETTING_NAME, None)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return [
            Error(
                f"{SETTING_NAME} must be a dict, not {type(raw).__name__}.",
                hint=f"Set {SETTING_NAME} = {{...}} (see sso_client's README.md).",
                id="sso_client.E009",
            )
        ]
    problems = _unknown_keys(raw)
    wrong_types = type_problems(raw)
    problems += [
        Error(
            message, hint="See the settings table of sso_client's README.md.", id="sso_client.E008"
        )
        for message in wrong_types.values()
    ]
    problems += _backend_problems()
    if wrong_types:
        return problems  # the other checks need values of the right type
    conf = SSOClientSettings.from_setting(raw)
    return (
        problems
        + _required_problems(conf)
        + _value_problems(conf)
        + _cache_problems(conf)
        + _legacy_problems(conf)
        + _recheck_problems(conf)
    )


def _unknown_keys(raw: Mapping[Any, Any]) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    known = field_names()
    for key in raw:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key).upper(), known, n=1)
        hint = f'Did you mean "{close[0]}"?' if close else f"Known keys: {', '.join(known)}."
        problems.append(
            Error(f"{SETTING_NAME} has an unknown key {key!r}.", hint=hint, id="sso_client.E007")
        )
    return problems


def _required_problems(conf: SSOClientSettings) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for name, (check_id, meaning) in REQUIRED.items():
        if not getattr(conf, name):
            problems.append(
                Error(
                    f'{SETTING_NAME}["{name}"] is not set.',
                    hint=f'Set {SETTING_NAME}["{name}"] to {meaning}.',
                    id=check_id,
                )
            )
    issuer = conf.ISSUER
    if issuer and (
        not issuer.startswith(("https://", "http://")) or len(issuer) > ISSUER_MAX_LENGTH
    ):
        problems.append(
            Error(
                f'{SETTING_NAME}["ISSUER"] is not an http(s) URL of at most '
                f"{ISSUER_MAX_LENGTH} characters.",
                hint="Use the exact `issuer` of the provider's discovery document.",
                id="sso_client.E004",
            )
        )
    return problems


def _out_of_range(name: str, rule: str) -> Error:
    return Error(
        f'{SETTING_NAME}["{name}"] must be {rule}.',
        hint="See the settings table of sso_client's README.md.",
        id="sso_client.E011",
    )


def _value_problems(conf: SSOClientSettings) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    # OIDC Core §3.1.2.1: without the openid scope the request is not an OpenID Connect one.
    if "openid" not in conf.SCOPES.split():
        problems.append(_out_of_range("SCOPES", 'scopes that include "openid"'))
    if conf.USERINFO not in USERINFO_CHOICES:
        choices = " or ".join(f'"{choice}"' for choice in USERINFO_CHOICES)
        problems.append(_out_of_range("USERINFO", choices))
    problems += [_out_of_range(name, "above 0") for name in POSITIVE if getattr(conf, name) <= 0]
    problems += [
        _out_of_range(name, "0 or more") for name in NOT_NEGATIVE if getattr(conf, name) < 0
    ]
    return problems


def _cache_problems(conf: SSOClientSettings) -> list[CheckMessage]:
    alias = conf.CACHE_ALIAS
    if alias not in settings.CACHES:
        return [
            Error(
                f'{SETTING_NAME}["CACHE_ALIAS"] {alias!r} is not in CACHES.',
                hint="Name the CACHES alias every process of this site shares.",
                id="sso_client.E010",
            )
        ]
    try:
        backend = import_string(settings.CACHES[alias].get("BACKEND", ""))
    except ImportError:
        return []  # Django's own cache checks report a wrong BACKEND
    if isinstance(backend, type) and issubclass(backend, UNSHARED_CACHES):
        return [
            Warning(
                f"The cache {alias!r} ({SETTING_NAME}['CACHE_ALIAS']) is {backend.__name__}, "
                "which processes do not share: logout-token replay protection and the JWKS "
                "re-fetch limit then work per process only.",
                hint="Use a shared cache (Redis, or DatabaseCache after createcachetable); with a "
                'single process, add "sso_client.W003" to SILENCED_SYSTEM_CHECKS.',
                id="sso_client.W003",
            )
        ]
    return []


def _sso_backend_installed() -> bool:
    """Return whether AUTHENTICATION_BACKENDS names SSOBackend or a subclass of it."""
    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            backend = import_string(path)
        except ImportError:
            continue  # a wrong path is reported by django.contrib.auth when it loads backends
        if isinstance(backend, type) and issubclass(backend, SSOBackend):
            return True
    return False


def _backend_problems() -> list[CheckMessage]:
    # A project customises hooks by subclassing SSOBackend, so a subclass counts.
    if _sso_backend_installed():
        return []
    return [
        Warning(
            f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
            hint=f'Add "{BACKEND_PATH}" (or a subclass) to AUTHENTICATION_BACKENDS so sign-ins '
            "can complete.",
            id="sso_client.W001",
        )
    ]


def _legacy_router_installed() -> bool:
    """Return whether DATABASE_ROUTERS holds LegacyReadOnlyRouter (path, class or instance)."""
    for entry in settings.DATABASE_ROUTERS:
        try:
            router = import_string(entry) if isinstance(entry, str) else entry
        except ImportError:
            continue
        router_class = router if isinstance(router, type) else type(router)
        if issubclass(router_class, LegacyReadOnlyRouter):
            return True
    return False


def _legacy_problems(conf: SSOClientSettings) -> list[CheckMessage]:
    """Report a LEGACY_DATABASE or LEGACY_MODELS the router could not use."""
    alias = conf.LEGACY_DATABASE
    if not alias:
        return []
    problems: list[CheckMessage] = []
    if alias not in settings.DATABASES:
        problems.append(
            Error(
                f'{SETTING_NAME}["LEGACY_DATABASE"] {alias!r} is not in DATABASES.',
                hint="Name the DATABASES alias of the legacy database.",
                id="sso_client.E005",
            )
        )
    for label in conf.LEGACY_MODELS:
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            problems.append(
                Error(
                    f'{SETTING_NAME}["LEGACY_MODELS"] names {label!r}, not an installed model.',
                    hint='Use "app_label.ModelName" of an installed model.',
                    id="sso_client.E006",
                )
            )
    if not _legacy_router_installed():
        problems.append(
            Warning(
                f'{SETTING_NAME}["LEGACY_DATABASE"] is set, {ROUTER_PATH} not in DATABASE_ROUTERS.',
                hint=f'Add "{ROUTER_PATH}" to DATABASE_ROUTERS, or the legacy models are read '
                "from and written to the default database.",
                id="sso_client.W002",
            )
        )
    return problems


def _recheck_problems(conf: SSOClientSettings) -> list[CheckMessage]:
    """Report a session re-check that is on but cannot run: no middleware, or before auth."""
    if not conf.SESSION_RECHECK_SECONDS:
        return []
    middleware = list(settings.MIDDLEWARE)
    if RECHECK_MIDDLEWARE_PATH not in middleware:
        return [
            Warning(
                f'{SETTING_NAME}["SESSION_RECHECK_SECONDS"] is set, but {RECHECK_MIDDLEWARE_PATH} '
                "is not in MIDDLEWARE: a session the provider ended lives on here until a "
                "back-channel logout arrives.",
                hint=f'Add "{RECHECK_MIDDLEWARE_PATH}" after "{AUTH_MIDDLEWARE_PATH}", or set '
                f'{SETTING_NAME}["SESSION_RECHECK_SECONDS"] to 0.',
                id="sso_client.W004",
            )
        ]
    if AUTH_MIDDLEWARE_PATH not in middleware or middleware.index(
        AUTH_MIDDLEWARE_PATH
    ) > middleware.index(RECHECK_MIDDLEWARE_PATH):
        return [
            Error(
                f"{RECHECK_MIDDLEWARE_PATH} must come after {AUTH_MIDDLEWARE_PATH} in MIDDLEWARE.",
                hint="It reads request.user, which AuthenticationMiddleware sets.",
                id="sso_client.E012",
            )
        ]
    return []
