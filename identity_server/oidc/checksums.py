"""The SHA-256 checksum under which tokens are looked up (RFC 9700: tokens hashed at rest)."""

import hashlib


def token_checksum(token: str) -> str:
    """Return the hex digest DOT stores as ``token_checksum`` (and we for redeemed codes)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
