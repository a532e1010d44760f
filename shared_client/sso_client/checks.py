"""System checks: fail fast when the client is not configured."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Warning
from django.utils.module_loading import import_string

from sso_client.backends import SSOBackend
from sso_client.conf import sso_settings
from sso_client.routers import LegacyReadOnlyRouter

REQUIRED = {
    "ISSUER": ("sso_client.E001", "the issuer URL of the identity provider, e.g. <IDP_URL>/o"),
    "CLIENT_ID": ("sso_client.E002", "the client id registered for this project at the provider"),
    "CLIENT_SECRET": ("sso_client.E003", "the client secret registered with CLIENT_ID"),
}
BACKEND_PATH = "sso_client.backends.SSOBackend"
ROUTER_PATH = "sso_client.routers.LegacyReadOnlyRouter"


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


def check_sso_settings(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """Report missing SSO_CLIENT values and a missing authentication backend."""
    problems: list[Error | Warning] = []
    for name, (check_id, meaning) in REQUIRED.items():
        if not getattr(sso_settings, name):
            problems.append(
                Error(
                    f'SSO_CLIENT["{name}"] is not set.',
                    hint=f'Set SSO_CLIENT["{name}"] to {meaning}.',
                    id=check_id,
                )
            )
    issuer = sso_settings.ISSUER or ""
    if issuer and not issuer.startswith(("https://", "http://")):
        problems.append(
            Error(
                'SSO_CLIENT["ISSUER"] is not an http(s) URL.',
                hint="Use the exact `issuer` of the provider's discovery document.",
                id="sso_client.E004",
            )
        )
    # A project customises hooks by subclassing SSOBackend, so a subclass counts.
    if not _sso_backend_installed():
        problems.append(
            Warning(
                f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
                hint=f'Add "{BACKEND_PATH}" (or a subclass) to AUTHENTICATION_BACKENDS so sign-ins '
                "can complete.",
                id="sso_client.W001",
            )
        )
    return problems + _legacy_problems()


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


def _legacy_problems() -> list[Error | Warning]:
    """Report a LEGACY_DATABASE or LEGACY_MODELS the router could not use."""
    alias = sso_settings.LEGACY_DATABASE
    if not alias:
        return []
    problems: list[Error | Warning] = []
    if alias not in settings.DATABASES:
        problems.append(
            Error(
                f'SSO_CLIENT["LEGACY_DATABASE"] {alias!r} is not in DATABASES.',
                hint="Name the DATABASES alias of the legacy database.",
                id="sso_client.E005",
            )
        )
    for label in sso_settings.LEGACY_MODELS:
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            problems.append(
                Error(
                    f'SSO_CLIENT["LEGACY_MODELS"] names {label!r}, not an installed model.',
                    hint='Use "app_label.ModelName" of an installed model.',
                    id="sso_client.E006",
                )
            )
    if not _legacy_router_installed():
        problems.append(
            Warning(
                f'SSO_CLIENT["LEGACY_DATABASE"] is set, {ROUTER_PATH} not in DATABASE_ROUTERS.',
                hint=f'Add "{ROUTER_PATH}" to DATABASE_ROUTERS, or the legacy models are read '
                "from and written to the default database.",
                id="sso_client.W002",
            )
        )
    return problems
