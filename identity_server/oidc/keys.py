"""Load the RS256 signing keys from PEM files.

Imported by ``config/settings.py``, so this module touches neither models nor settings.
"""

import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


def signing_key_load(*, path: Path, debug: bool) -> str:
    """Return the PEM of the current signing key.

    A missing file stops the server unless ``debug``: then an ephemeral key is generated, so
    ID tokens signed before a restart no longer verify (fine for a developer, never for users).
    """
    if path.is_file():
        return path.read_text()
    if not debug:
        raise ImproperlyConfigured(
            f"OIDC signing key not found at {path}: set OIDC_RSA_PRIVATE_KEY_FILE to a PEM "
            "file (openssl genrsa -out oidc_rsa.pem 2048)."
        )
    logger.warning("No OIDC signing key at %s: using an ephemeral key (DEBUG only).", path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def retired_keys_load(*, paths: list[str]) -> list[str]:
    """Return the PEMs of retired keys, still published in the JWKS until old tokens expire."""
    pems = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise ImproperlyConfigured(f"Retired OIDC key not found: {path}")
        pems.append(path.read_text())
    return pems
