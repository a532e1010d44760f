"""System checks: fail fast when the client is not configured."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning

from sso_client.conf import sso_settings

REQUIRED = {
    "ISSUER": ("sso_client.E001", "the issuer URL of the identity provider, e.g. <IDP_URL>/o"),
    "CLIENT_ID": ("sso_client.E002", "the client id registered for this project at the provider"),
    "CLIENT_SECRET": ("sso_client.E003", "the client secret registered with CLIENT_ID"),
}
BACKEND_PATH = "sso_client.backends.SSOBackend"


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
    if BACKEND_PATH not in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        problems.append(
            Warning(
                f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
                hint=f'Add "{BACKEND_PATH}" to AUTHENTICATION_BACKENDS so sign-ins can complete.',
                id="sso_client.W001",
            )
        )
    return problems
