"""The RS256 signing keys: PEM files in a keys directory, loaded by the settings, rotated.

The keys directory (``OIDC_KEYS_DIR``, ``$VAR_DIR/keys`` by default) holds one file per key:
``signing-<UTC time created>.pem`` signs (the newest one, if a rotation was cut short),
``next-<UTC time created>.pem`` is published but does not sign yet, and
``retired-<UTC time retired>.pem`` no longer signs but stays published in the JWKS until every
token it signed has expired (``key_retention_seconds``). A rotation makes the next key sign: it
has been in the JWKS since the previous rotation, so every shop's cached key set already holds
it and no shop has to fetch the keys again (which it may do at most once a minute) to verify
the first tokens it signs. ``manage.py oidc_keys`` lists,
rotates and retires them (docs/operations.md, "Keys"). An install from before the directory
keeps ``OIDC_RSA_PRIVATE_KEY_FILE`` and ``OIDC_RSA_RETIRED_KEY_FILES``, used while the
directory holds no signing key; its first rotation moves it over.

Imported by ``config/settings.py``, so this module touches neither models nor settings.
"""

import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk

logger = logging.getLogger(__name__)

SIGNING, NEXT, RETIRED = "signing", "next", "retired"
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_KEY_FILE = re.compile(rf"^({SIGNING}|{NEXT}|{RETIRED})-(\d{{8}}T\d{{12}}Z)\.pem$")
# A next key younger than this may not be in every shop's cached key set yet (shops re-fetch
# at most once a minute, and servers publish it once reloaded): rotate waits, unless forced.
NEXT_KEY_MIN_AGE_SECONDS = 5 * 60
# Clocks of the servers and of the shops differ by a little; tokens are checked with leeway.
KEY_RETENTION_LEEWAY_SECONDS = 5 * 60


@dataclass(frozen=True)
class KeyFile:
    """One key of the keys directory: its file, whether it is retired, since when, its PEM."""

    path: Path
    state: str
    since: datetime
    pem: str = field(repr=False)

    @cached_property
    def kid(self) -> str:
        """Return the key id the JWKS publishes: its RFC 7638 thumbprint, as DOT names it."""
        return jwk.JWK.from_pem(self.pem.encode()).thumbprint()


def key_pem_generate() -> str:
    """Return a new 2048-bit RSA private key in PEM (PKCS #8)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def key_files(keys_dir: Path) -> list[KeyFile]:
    """Return the keys of ``keys_dir``, oldest first; other files are not keys and ignored."""
    if not keys_dir.is_dir():
        return []
    found = []
    for path in keys_dir.iterdir():
        match = _KEY_FILE.match(path.name)
        if match:
            since = datetime.strptime(match[2], _STAMP_FORMAT).replace(tzinfo=UTC)
            found.append(KeyFile(path=path, state=match[1], since=since, pem=path.read_text()))
    return sorted(found, key=lambda key: (key.since, key.state == SIGNING))


def key_write(*, keys_dir: Path, pem: str, state: str, since: datetime) -> KeyFile:
    """Write a key file readable by its owner only, whole or not at all, never over another."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = keys_dir / f"{state}-{since.astimezone(UTC).strftime(_STAMP_FORMAT)}.pem"
    temporary = keys_dir / f".{path.name}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        # A hard link fails when the name exists: a key is never overwritten.
        os.link(temporary, path)
    finally:
        temporary.unlink()
    return KeyFile(path=path, state=state, since=since, pem=pem)


def signing_key_load(*, path: Path, debug: bool) -> str:
    """Return the PEM of the key at ``path`` (``OIDC_RSA_PRIVATE_KEY_FILE``).

    A missing file stops the server unless ``debug``: then an ephemeral key is generated, so
    ID tokens signed before a restart no longer verify (fine for a developer, never for users).
    """
    if path.is_file():
        return path.read_text()
    if not debug:
        raise ImproperlyConfigured(
            f"OIDC signing key not found in OIDC_KEYS_DIR nor at {path}: run "
            "`manage.py oidc_keys rotate` to create one (or set OIDC_RSA_PRIVATE_KEY_FILE)."
        )
    logger.warning("No OIDC signing key at %s: using an ephemeral key (DEBUG only).", path)
    return key_pem_generate()


def retired_keys_load(*, paths: list[str]) -> list[str]:
    """Return the PEMs of retired keys, still published in the JWKS until old tokens expire."""
    pems = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise ImproperlyConfigured(f"Retired OIDC key not found: {path}")
        pems.append(path.read_text())
    return pems


def signing_keys_load(
    *, keys_dir: Path, key_file: Path, retired_files: list[str], debug: bool
) -> tuple[str, list[str]]:
    """Return the PEMs of the signing key and of the keys published beside it.

    The newest ``signing-*`` key of ``keys_dir`` signs; older ones (a rotation cut short), the
    ``next-*`` ones and the ``retired-*`` ones are published. Without a signing key in the
    directory, ``key_file`` signs, as before the directory existed. ``retired_files`` are
    published either way.
    """
    keys = key_files(keys_dir)
    signing = [key for key in keys if key.state == SIGNING]
    legacy_retired = retired_keys_load(paths=retired_files)
    if not signing:
        active = signing_key_load(path=key_file, debug=debug)
        return active, [*(key.pem for key in keys), *legacy_retired]
    active_key = signing[-1]
    others = [key.pem for key in reversed(keys) if key != active_key]
    return active_key.pem, [*others, *legacy_retired]


def key_retention_seconds(*, lifetimes: Iterable[int]) -> int:
    """Return how long a retired key stays published: the longest token lifetime, plus leeway.

    ``lifetimes`` are those of everything signed with the key that a party may still check:
    ID tokens, logout tokens, Security Event Tokens, and the IdP session, since a shop sends
    the ID token it got at sign-in back as ``id_token_hint`` when the person signs out.
    """
    return max(lifetimes, default=0) + KEY_RETENTION_LEEWAY_SECONDS


class NextKeyTooNew(Exception):
    """The next key was published too recently for every shop to know it."""


def next_key_ensure(*, keys_dir: Path, now: datetime) -> KeyFile:
    """Return the next key of ``keys_dir``, written now if there is none."""
    pending = [key for key in key_files(keys_dir) if key.state == NEXT]
    if pending:
        return pending[-1]
    return key_write(keys_dir=keys_dir, pem=key_pem_generate(), state=NEXT, since=now)


def keys_rotate(*, keys_dir: Path, key_file: Path, now: datetime, force: bool = False) -> KeyFile:
    """Make the next key sign, retire the one that signed until now, publish a new next key.

    Raise NextKeyTooNew when the next key is younger than NEXT_KEY_MIN_AGE_SECONDS, unless
    ``force``. Without a next key (an install from before them) a new key signs at once: shops
    fetch it when its first token arrives. The new signing key is written first: a server
    starting in between signs with it and publishes the old one. Without a signing key in the
    directory, the ``key_file`` of an older install is copied in as retired, so that its tokens
    keep verifying.
    """
    keys = key_files(keys_dir)
    signing = [key for key in keys if key.state == SIGNING]
    pending = [key for key in keys if key.state == NEXT]
    if pending and not force:
        age = (now - pending[-1].since).total_seconds()
        if age < NEXT_KEY_MIN_AGE_SECONDS:
            raise NextKeyTooNew(
                f"the next key was published {age:.0f} s ago: shops may not know it yet. "
                f"Rotate after {NEXT_KEY_MIN_AGE_SECONDS - age:.0f} s more, or force it."
            )
    if not signing and key_file.is_file():
        key_write(keys_dir=keys_dir, pem=key_file.read_text(), state=RETIRED, since=now)
    pem = pending[-1].pem if pending else key_pem_generate()
    new = key_write(keys_dir=keys_dir, pem=pem, state=SIGNING, since=now)
    for index, key in enumerate(pending):
        if key.pem != pem:  # an older next key (a rotation cut short) stays published as retired
            since = now - timedelta(microseconds=index + 1)
            key_write(keys_dir=keys_dir, pem=key.pem, state=RETIRED, since=since)
        key.path.unlink()
    # Later than the new signing key's name: the next key is always the newest file.
    next_key_ensure(keys_dir=keys_dir, now=now + timedelta(microseconds=len(signing) + 1))
    for offset, key in enumerate(signing):
        # One microsecond apart: two keys retired in one rotation keep distinct names.
        since = now + timedelta(microseconds=offset)
        retired = key_write(keys_dir=keys_dir, pem=key.pem, state=RETIRED, since=since)
        key.path.unlink()
        logger.info("Retired OIDC signing key %s into %s", key.kid, retired.path.name)
    return new


def keys_drop(
    *, keys_dir: Path, retention_seconds: int, now: datetime, kid: str | None = None
) -> list[KeyFile]:
    """Delete the retired keys whose tokens have all expired, or the retired key ``kid`` now.

    Raise ValueError when ``kid`` is not a retired key of the directory (the signing key is
    never dropped: rotate first).
    """
    retired = [key for key in key_files(keys_dir) if key.state == RETIRED]
    if kid is not None:
        dropped = [key for key in retired if key.kid == kid]
        if not dropped:
            raise ValueError(f"no retired key with kid {kid!r} in {keys_dir}")
    else:
        deadline = now - timedelta(seconds=retention_seconds)
        dropped = [key for key in retired if key.since <= deadline]
    for key in dropped:
        logger.info("Deleted retired OIDC signing key %s (%s)", key.kid, key.path.name)
        key.path.unlink()
    return dropped
