"""Recovery codes: the way back in when the authenticator app or the passkey is lost.

Ten random codes of 50 bits, shown once, stored as HMAC-SHA256 keyed with SECRET_KEY and
bound to the user. A slow password hash (argon2) protects guessable passwords; these codes
are not guessable, so it would only cost CPU on every try and force a check against each of
the ten hashes. The key means a copy of the database alone cannot test a guess.
SECRET_KEY_FALLBACKS are tried too, so rotating the key does not void the codes.
"""

import secrets

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Passkey, RecoveryCode
from audit.models import AuditEvent
from audit.services import audit_event_record

RECOVERY_CODE_COUNT = 10
# Crockford's base32 alphabet: no I, L, O or U to misread; 10 characters carry 50 bits.
RECOVERY_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 10
RECOVERY_HASH_SALT = "accounts.RecoveryCode"


def recovery_codes_left(*, user) -> int:
    """Return how many unused recovery codes the user has."""
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _recovery_code_normalise(code: str) -> str:
    """Return the code as stored: no spaces or dashes, lower case, Crockford's look-alikes."""
    compact = "".join((code or "").split()).replace("-", "").lower()
    return compact.translate(str.maketrans({"o": "0", "i": "1", "l": "1"}))


def _recovery_code_hashes(*, user, code: str) -> list[str]:
    """Return the code's hash under SECRET_KEY and each fallback key (newest first)."""
    value = f"{user.pk}:{_recovery_code_normalise(code)}"
    return [
        salted_hmac(RECOVERY_HASH_SALT, value, secret=key, algorithm="sha256").hexdigest()
        for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]


def recovery_code_format(code: str) -> str:
    """Return a code as shown: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


class RecoveryCodesRefused(Exception):
    """Recovery codes back up another second factor; the user has none."""


def recovery_codes_create(*, request: HttpRequest, user) -> list[str]:
    """Replace the user's recovery codes with new ones; return them, to show once.

    Only their hashes are stored: this is the only time anyone sees them. Refused
    (RecoveryCodesRefused) unless the user has an authenticator app or a passkey.
    """
    if not (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or Passkey.objects.filter(user=user).exists()
    ):
        raise RecoveryCodesRefused
    codes = [
        "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_recovery_code_hashes(user=user, code=code)[0])
            for code in codes
        )
        audit_event_record(
            kind=AuditEvent.Kind.RECOVERY_CODES_CREATED,
            actor=user,
            subject_user=user,
            request=request,
            data={"count": len(codes)},
        )
    return [recovery_code_format(code) for code in codes]


def recovery_code_use(*, request: HttpRequest, user, code: str) -> int | None:
    """Spend an unused recovery code of the user; return the codes left, or None if none matched.

    One UPDATE marks it used only if still unused: two requests with the same code cannot
    both pass.
    """
    normalised = _recovery_code_normalise(code)
    if len(normalised) != RECOVERY_CODE_LENGTH:
        return None
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user,
            used_at__isnull=True,
            code_hash__in=_recovery_code_hashes(user=user, code=normalised),
        ).update(used_at=timezone.now())
        if not used:
            return None
        left = recovery_codes_left(user=user)
        audit_event_record(
            kind=AuditEvent.Kind.RECOVERY_CODE_USED,
            actor=user,
            subject_user=user,
            request=request,
            data={"left": left},
        )
    return left
