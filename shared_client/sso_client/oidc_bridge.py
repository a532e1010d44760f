"""Give mozilla-django-oidc its OIDC_* settings from SSO_CLIENT and the provider's discovery."""

from collections.abc import Callable
from typing import Any

from mozilla_django_oidc.utils import import_from_settings

from sso_client import constants as c
from sso_client.conf import sso_settings
from sso_client.discovery import provider_metadata


def _endpoint(field: str) -> Callable[[], Any]:
    return lambda: provider_metadata().get(field)


# Each value is computed at the time mozilla asks, so nothing is read at import time and the
# provider is contacted only when an endpoint is actually needed.
MAPPED: dict[str, Callable[[], Any]] = {
    "OIDC_RP_CLIENT_ID": lambda: sso_settings.CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": lambda: sso_settings.CLIENT_SECRET,
    "OIDC_RP_SCOPES": lambda: sso_settings.SCOPES,
    "OIDC_RP_SIGN_ALGO": lambda: c.SIGNING_ALGORITHM,
    "OIDC_RP_IDP_SIGN_KEY": lambda: None,
    "OIDC_OP_AUTHORIZATION_ENDPOINT": _endpoint("authorization_endpoint"),
    "OIDC_OP_TOKEN_ENDPOINT": _endpoint("token_endpoint"),
    "OIDC_OP_USER_ENDPOINT": _endpoint("userinfo_endpoint"),
    "OIDC_OP_JWKS_ENDPOINT": _endpoint("jwks_uri"),
    # RFC 9700 §2.1.1: PKCE with S256 for every client, confidential ones included.
    "OIDC_USE_PKCE": lambda: True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": lambda: c.PKCE_METHOD,
    "OIDC_USE_NONCE": lambda: True,
    "OIDC_ALLOW_UNSECURED_JWT": lambda: False,
    "OIDC_TIMEOUT": lambda: sso_settings.TIMEOUT,
    "OIDC_VERIFY_SSL": lambda: sso_settings.VERIFY_SSL,
    # The ID token is kept once, under SESSION_ID_TOKEN (SSOBackend.store_tokens), not also
    # under mozilla's `oidc_id_token`, which nothing reads.
    "OIDC_STORE_ID_TOKEN": lambda: False,
    "OIDC_CREATE_USER": lambda: True,
    "OIDC_AUTHENTICATION_CALLBACK_URL": lambda: "sso_client:callback",
    "LOGIN_REDIRECT_URL": lambda: sso_settings.LOGIN_REDIRECT_URL,
    "LOGOUT_REDIRECT_URL": lambda: sso_settings.LOGOUT_REDIRECT_URL,
}


def oidc_setting(attr: str, *default: Any) -> Any:
    """Return mozilla-django-oidc's setting `attr`; names not mapped come from Django settings."""
    if attr in MAPPED:
        return MAPPED[attr]()
    return import_from_settings(attr, *default)
