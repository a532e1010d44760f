"""System checks: fail fast when the client is not configured."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning
from django.utils.module_loading import import_string

from sso_client.backends import SSOBackend
from sso_client.conf import sso_settings

REQUIRED = {
    "ISSUER": ("sso_client.E001", "the issuer URL of the identity provider, e.g. <IDP_URL>/o"),
    "CLIENT_ID": ("sso_client.E002", "the client id registered for this project at the provider"),
    "CLIENT_SECRET": ("sso_client.E003", "the client secret registered with CLIENT_ID"),
}
BACKEND_PATH = "sso_client.backends.SSOBackend"


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
    return problems
