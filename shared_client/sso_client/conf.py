"""Settings of sso_client, read lazily from `settings.SSO_CLIENT` (as DOT's `oauth2_settings`)."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

USER_LOOKUP_PATH = "/api/service/users/lookup/"

DEFAULTS: dict[str, Any] = {
    # The provider's issuer identifier, compared exactly (OIDC Discovery 1.0 §4.3).
    "ISSUER": None,
    "CLIENT_ID": None,
    "CLIENT_SECRET": None,
    "SCOPES": "openid profile email phone groups",
    # Seconds before any request to the provider gives up: a sign-in never hangs.
    "TIMEOUT": 5,
    "VERIFY_SSL": True,
    # The provider's "manage my account" page, offered to templates as `sso_account_url`.
    "ACCOUNT_URL": "",
    "LOGIN_REDIRECT_URL": "/",
    "LOGOUT_REDIRECT_URL": "/",
    "STAFF_GROUPS": ["shop-staff", "shop-admins"],
    "SUPERUSER_GROUPS": ["shop-admins"],
    "DISCOVERY_CACHE_SECONDS": 3600,
    "JWKS_CACHE_SECONDS": 3600,
    # An unknown `kid` re-fetches the JWKS at most once per this many seconds.
    "JWKS_REFETCH_INTERVAL": 60,
    # Clock skew tolerated on exp/iat/nbf.
    "LEEWAY": 60,
    # Logout tokens older than this (by iat) are refused; also how long a jti is remembered.
    "LOGOUT_TOKEN_MAX_AGE": 300,
    # Logout tokens whose lifetime (exp - iat) is longer than this are refused, so a stolen one
    # is soon useless (Back-Channel Logout 1.0 §2.4 requires exp; our provider issues 120 s).
    "LOGOUT_TOKEN_MAX_LIFETIME": 300,
    # Template the error page extends; must define blocks `title` and `content`.
    "BASE_TEMPLATE": "sso_client/base.html",
    # Dotted paths of callables `hook(*, user, claims) -> None`, run inside the shadow user's
    # transaction after every sign-in, to copy more claims into project models.
    "SYNC_HOOKS": [],
    # The provider's service API that `manage.py sso_link_users` asks for users by email
    # (POST {"emails": [...]}, bearer token of the client-credentials grant, scope users:read).
    # None means the issuer's origin + /api/service/users/lookup/ (see user_lookup_url()).
    "USER_LOOKUP_URL": None,
    # Whether `sso_link_users` makes the local password of each user it links unusable. Shops
    # keep no passwords: the first SSO sign-in of a linked user makes it unusable anyway.
    "LINK_MAKES_PASSWORD_UNUSABLE": True,
    # Alias in DATABASES of a legacy database read through sso_client.routers.
    # LegacyReadOnlyRouter; None turns the router off.
    "LEGACY_DATABASE": None,
    # "app_label.ModelName" of the models that live in LEGACY_DATABASE: read there, never written.
    "LEGACY_MODELS": [],
}


class SSOSettings:
    """Give `SSO_CLIENT[name]` or its default, read at each access so tests can override it."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown SSO_CLIENT setting: {name!r}")
        configured = getattr(settings, "SSO_CLIENT", None) or {}
        value = configured.get(name, DEFAULTS[name])
        if name == "SCOPES" and not isinstance(value, str):
            value = " ".join(value)
        return value

    def sync_hooks(self) -> list[Callable[..., None]]:
        """Return the imported SYNC_HOOKS callables."""
        return [hook if callable(hook) else import_string(hook) for hook in self.SYNC_HOOKS]

    def user_lookup_url(self) -> str:
        """Return USER_LOOKUP_URL, by default the issuer's origin + /api/service/users/lookup/.

        Our provider's issuer is `<origin>/o`, and its service API lives at the origin.
        """
        if self.USER_LOOKUP_URL:
            return self.USER_LOOKUP_URL
        issuer = urlsplit(self.ISSUER or "")
        return f"{issuer.scheme}://{issuer.netloc}{USER_LOOKUP_PATH}"

    def legacy_models(self) -> frozenset[str]:
        """Return LEGACY_MODELS as lower-cased labels ("app_label.modelname")."""
        return frozenset(label.lower() for label in self.LEGACY_MODELS)


sso_settings = SSOSettings()
