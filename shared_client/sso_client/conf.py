"""Settings of sso_client: the `SSO_CLIENT` dict, read lazily into a typed, frozen object.

As django-oauth-toolkit's `oauth2_settings`: nothing is read at import time, and
`override_settings(SSO_CLIENT=...)` reloads it (through the `setting_changed` signal).
"""

import functools
import hashlib
import types
from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError, dataclass, fields
from typing import Any, Union, cast, get_args, get_origin
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from sso_client.constants import CLAIM_GROUPS, USERINFO_WHEN_NEEDED

SETTING_NAME = "SSO_CLIENT"
CACHE_PREFIX = "sso_client"
USER_LOOKUP_PATH = "/api/service/users/lookup/"

Hook = Callable[..., None]


@dataclass(frozen=True, kw_only=True)
class SSOClientSettings:
    """The validated `SSO_CLIENT` setting; every field is a key of that dict (README.md)."""

    # The provider's issuer identifier, compared exactly (OIDC Discovery 1.0 §4.3). Required,
    # like CLIENT_ID and CLIENT_SECRET: empty is reported by the system checks.
    ISSUER: str = ""
    CLIENT_ID: str = ""
    CLIENT_SECRET: str = ""
    # A list of scopes is accepted and joined (see _COERCE).
    SCOPES: str = "openid email profile"
    # OIDC Core §3.1.3.7 step 3: an ID token naming an audience the client does not trust is
    # refused; these are trusted besides CLIENT_ID.
    TRUSTED_AUDIENCES: tuple[str, ...] = ()
    GROUPS_CLAIM: str = CLAIM_GROUPS
    # "when-needed": the callback skips the userinfo request when the (signature-checked) ID
    # token already carries a claim of every scope asked for (tokens.userinfo_needed);
    # "always": it asks at every sign-in, for a provider whose ID tokens carry only some claims.
    USERINFO: str = USERINFO_WHEN_NEEDED
    # No group gives rights unless the project says so.
    STAFF_GROUPS: tuple[str, ...] = ()
    SUPERUSER_GROUPS: tuple[str, ...] = ()
    # Seconds before any request to the provider gives up: a sign-in never hangs.
    TIMEOUT: float = 5
    VERIFY_SSL: bool = True
    # The provider's "manage my account" page, offered to templates as `sso_account_url`.
    ACCOUNT_URL: str = ""
    LOGIN_REDIRECT_URL: str = "/"
    LOGOUT_REDIRECT_URL: str = "/"
    # The cache shared by every process: discovery, JWKS, re-fetch limiter, seen logout jtis.
    CACHE_ALIAS: str = "default"
    DISCOVERY_CACHE_SECONDS: int = 3600
    JWKS_CACHE_SECONDS: int = 3600
    # An unknown `kid` re-fetches the JWKS at most once per this many seconds.
    JWKS_REFETCH_INTERVAL: int = 60
    # Clock skew tolerated on exp/iat.
    LEEWAY: int = 60
    # Logout tokens and security event tokens older than this (by iat) are refused; also how
    # long a jti is remembered.
    LOGOUT_TOKEN_MAX_AGE: int = 300
    # Logout and security event tokens whose lifetime (exp - iat) is longer than this are
    # refused, so a stolen one is soon useless (Back-Channel Logout 1.0 §2.4 requires exp).
    LOGOUT_TOKEN_MAX_LIFETIME: int = 300
    # The events receiver (RFC 8935) refuses a body longer than this many bytes.
    EVENT_MAX_BYTES: int = 16384
    # What Retry-After the events receiver answers with its 503 when the provider's keys
    # cannot be fetched, so the provider retries the delivery.
    EVENT_RETRY_AFTER: int = 30
    # SessionRecheckMiddleware asks the provider whether an SSO session still lives once its
    # last check is older than this many seconds (RFC 7662 introspection); 0 turns it off.
    SESSION_RECHECK_SECONDS: int = 300
    # After a re-check the provider did not answer, the next one waits this many seconds.
    SESSION_RECHECK_RETRY_SECONDS: int = 30
    # Template sso_client's pages extend; must define blocks `title` and `content`.
    BASE_TEMPLATE: str = "sso_client/base.html"
    # Dotted paths or callables `hook(*, user, claims) -> None`, run inside the shadow user's
    # transaction after every sign-in, to copy more claims into project models.
    SYNC_HOOKS: tuple[str | Hook, ...] = ()
    # The provider's service API that `manage.py sso_link_users` asks for users by email.
    # None means the issuer's origin + USER_LOOKUP_PATH (see user_lookup_url()).
    USER_LOOKUP_URL: str | None = None
    # Whether `sso_link_users` makes the local password of each user it links unusable.
    LINK_MAKES_PASSWORD_UNUSABLE: bool = True
    # Alias in DATABASES of a legacy database read through routers.LegacyReadOnlyRouter;
    # None turns the router off.
    LEGACY_DATABASE: str | None = None
    # "app_label.ModelName" of the models that live in LEGACY_DATABASE: read there, never written.
    LEGACY_MODELS: tuple[str, ...] = ()

    @classmethod
    def from_setting(cls, value: object) -> "SSOClientSettings":
        """Return the settings of the `SSO_CLIENT` dict `value` (None: all defaults).

        Unknown keys are ignored here (the system check reports them). Raise
        ImproperlyConfigured when `value` is not a dict or holds a value of the wrong type.
        """
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ImproperlyConfigured(
                f"{SETTING_NAME} must be a dict, not {type(value).__name__}."
            )
        problems = type_problems(value)
        if problems:
            raise ImproperlyConfigured(" ".join(problems.values()))
        known = {name: _coerce(name, value[name]) for name in field_names() if name in value}
        return cls(**known)

    def sync_hooks(self) -> list[Hook]:
        """Return the SYNC_HOOKS callables, imported."""
        return [hook if callable(hook) else import_string(hook) for hook in self.SYNC_HOOKS]

    def user_lookup_url(self) -> str:
        """Return USER_LOOKUP_URL, by default the issuer's origin + /api/service/users/lookup/.

        This repository's provider has its issuer at `<origin>/o` and its service API at the
        origin.
        """
        if self.USER_LOOKUP_URL:
            return self.USER_LOOKUP_URL
        issuer = urlsplit(self.ISSUER)
        return f"{issuer.scheme}://{issuer.netloc}{USER_LOOKUP_PATH}"

    def legacy_models(self) -> frozenset[str]:
        """Return LEGACY_MODELS as lower-cased labels ("app_label.modelname")."""
        return frozenset(label.lower() for label in self.LEGACY_MODELS)

    def cache(self) -> BaseCache:
        """Return the CACHE_ALIAS cache, where state shared by every process lives."""
        return caches[self.CACHE_ALIAS]


def cache_key(kind: str, *parts: str) -> str:
    """Return the CACHE_ALIAS key of `kind` for `parts` (an issuer, a URL, a jti...).

    The parts come from settings and from tokens, of any length and character: a digest keeps
    the key within what every cache backend accepts (memcached: 250 characters, no spaces).
    """
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{CACHE_PREFIX}:{kind}:{digest}"


@functools.cache
def field_names() -> tuple[str, ...]:
    """Return the keys SSO_CLIENT accepts."""
    return tuple(field.name for field in fields(SSOClientSettings))


@functools.cache
def _annotations() -> dict[str, Any]:
    return {field.name: field.type for field in fields(SSOClientSettings)}


def _scopes_join(value: Any) -> Any:
    """Accept SCOPES as a list of scopes too, as OIDC_RP_SCOPES is a space-separated string."""
    if isinstance(value, list | tuple) and all(isinstance(scope, str) for scope in value):
        return " ".join(value)
    return value


# Keys that accept another form of their value, turned into the annotated type before checking.
_COERCE: dict[str, Callable[[Any], Any]] = {"SCOPES": _scopes_join}
# Keys whose accepted forms the annotation does not tell.
_EXPECTED = {"SCOPES": "a string or a list of strings"}


def _accepted_form(name: str, value: Any) -> Any:
    coerce = _COERCE.get(name)
    return coerce(value) if coerce else value


def _coerce(name: str, value: Any) -> Any:
    value = _accepted_form(name, value)
    # Lists become tuples: the settings object is frozen, and so are its values.
    return tuple(value) if isinstance(value, list) else value


def _matches(value: Any, annotation: Any) -> bool:
    """Tell whether a settings value fits a field's annotation (a list fits tuple[X, ...])."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_matches(value, member) for member in get_args(annotation))
    if origin is tuple:
        item = get_args(annotation)[0]
        return isinstance(value, list | tuple) and all(_matches(entry, item) for entry in value)
    if origin is not None:  # Callable[..., None]
        return isinstance(value, origin)
    if annotation is type(None):
        return value is None
    # True is an int to Python, never a number of seconds to a reader.
    if isinstance(value, bool) and annotation is not bool:
        return False
    if annotation is float:
        return isinstance(value, int | float)
    return isinstance(value, annotation)


_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "True or False"}


def describe(annotation: Any) -> str:
    """Return a field's annotation in words, for error messages ("a list of strings")."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(member) for member in get_args(annotation))
    if origin is tuple:
        item = describe(get_args(annotation)[0]).replace("a string", "strings")
        return f"a list of {item.replace('a callable', 'callables')}"
    if origin is not None:
        return "a callable"
    if annotation is type(None):
        return "None"
    return _NAMES.get(annotation, annotation.__name__)


def type_problems(value: Mapping[str, Any]) -> dict[str, str]:
    """Return, by key, a sentence for each known key of `value` whose value has a wrong type."""
    problems = {}
    annotations = _annotations()
    for name in field_names():
        if name not in value:
            continue
        if not _matches(_accepted_form(name, value[name]), annotations[name]):
            expected = _EXPECTED.get(name) or describe(annotations[name])
            problems[name] = (
                f'{SETTING_NAME}["{name}"] must be {expected}, not {type(value[name]).__name__}.'
            )
    return problems


@functools.cache
def _loaded() -> SSOClientSettings:
    return SSOClientSettings.from_setting(getattr(settings, SETTING_NAME, None))


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    """Forget the loaded settings when a test overrides SSO_CLIENT."""
    if setting == SETTING_NAME:
        _loaded.cache_clear()


class _LazySettings:
    """Read `SSO_CLIENT` at the first attribute access, not at import time."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_loaded(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}: change SSO_CLIENT instead")


sso_settings = cast(SSOClientSettings, _LazySettings())
"""The `SSO_CLIENT` settings, typed as SSOClientSettings."""
