"""What both passkey ceremonies share: challenges, errors, the user handle."""

import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
)
from webauthn.helpers.structs import (
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
)

from accounts.models import Passkey

CHALLENGE_KEY_PREFIX = "passkey_challenge_"
# How long a ceremony may take, from the options to the answer.
CHALLENGE_MAX_AGE_SECONDS = 5 * 60
# The browser's own timeout (a hint), in milliseconds.
CEREMONY_TIMEOUT_MS = 3 * 60 * 1000
NAME_MAX_LENGTH = Passkey._meta.get_field("name").max_length

PURPOSE_REGISTER = "register"
PURPOSE_SIGN_IN = "sign_in"
PURPOSE_SECOND_FACTOR = "second_factor"


class PasskeyError(Exception):
    """A refused passkey request: ``code`` for programs, ``detail`` for people.

    ``retry_after`` (seconds) is set when the sign-in throttle refused the check.
    """

    def __init__(self, code: str, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


# The refusals (code, detail); each raise makes a new PasskeyError.
EXPIRED = (
    "challenge_expired",
    "This passkey request expired or was already used. Please try again.",
)
MALFORMED = ("malformed_credential", "The browser sent an unreadable passkey answer.")
UNKNOWN = (
    "unknown_passkey",
    "This passkey is not registered here. Please sign in with your password.",
)
NOT_YOURS = ("unknown_passkey", "This passkey is not registered with your account.")
NOT_VERIFIED = ("not_verified", "The passkey's answer could not be verified.")
COUNTER = (
    "sign_count",
    "This passkey's signature counter went backwards, which can mean it was copied. "
    "Sign in another way and remove it from your account.",
)
NO_PENDING = ("no_pending_sign_in", "Your sign-in expired. Please enter your password again.")


@dataclass(frozen=True)
class PasskeySignIn:
    """A completed sign-in: who, and the amr recorded."""

    user: Any
    amr: list[str]


# Listing


def passkeys_of(*, user) -> list[Passkey]:
    """Return the user's passkeys, oldest first."""
    return list(Passkey.objects.filter(user=user).order_by("created", "pk"))


# Challenges


def challenge_store(
    request: HttpRequest, *, purpose: str, challenge: bytes, user_id: int | None
) -> None:
    request.session[CHALLENGE_KEY_PREFIX + purpose] = {
        "challenge": bytes_to_base64url(challenge),
        "user_id": user_id,
        "started": time.time(),
    }


def challenge_take(request: HttpRequest, *, purpose: str, user_id: int | None) -> bytes:
    """Remove and return the purpose's challenge; refuse a missing, stale or foreign one."""
    stored = request.session.pop(CHALLENGE_KEY_PREFIX + purpose, None)
    if not isinstance(stored, dict):
        raise PasskeyError(*EXPIRED)
    if time.time() - float(stored.get("started", 0)) > CHALLENGE_MAX_AGE_SECONDS:
        raise PasskeyError(*EXPIRED)
    if stored.get("user_id") != user_id:
        raise PasskeyError(*EXPIRED)
    return base64url_to_bytes(stored["challenge"])


def user_handle(user) -> bytes:
    """Return the WebAuthn user handle: the opaque ``sub``, never the email (§14.6.1)."""
    return user.sub.bytes


def descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for passkey in passkeys:
        transports = []
        for transport in passkey.transports or []:
            try:
                transports.append(AuthenticatorTransport(transport))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(passkey.credential_id), transports=transports or None
            )
        )
    return descriptors


# Registration
