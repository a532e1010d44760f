"""Second factors: an authenticator app (TOTP) and recovery codes.

TOTP (RFC 6238) is django-otp's ``TOTPDevice``: 6 digits, 30-second steps, one step of
tolerance either way. It refuses a code at or before the step of the last accepted one
(``last_t``), so a code works once; the check runs under a row lock so that two requests
with the same code cannot both pass. django-otp's own per-device delay is off
(``OTP_TOTP_THROTTLE_FACTOR = 0``): wrong codes count in the sign-in throttle instead
(accounts/services/throttle.py), with the passwords' thresholds, per account and per IP.

Recovery codes are in accounts/services/recovery_codes.py; ``second_factor_verify`` takes
either kind of code.
"""

import base64
from dataclasses import dataclass
from functools import cache

import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Passkey, RecoveryCode
from accounts.services.recovery_codes import recovery_code_use, recovery_codes_left
from accounts.services.throttle import throttle_check, throttle_failure, throttle_success
from audit.models import AuditEvent
from audit.services import audit_event_record

User = get_user_model()

TOTP_DEVICE_NAME = "Authenticator app"
TOTP_DIGITS = 6
# Audit data of a wrong second factor (RFC 8176: a recovery code is a one-time password too).
FACTOR_OTP = "otp"

FACTOR_TOTP = "totp"
FACTOR_RECOVERY_CODE = "recovery_code"


class SecondFactorRefused(Exception):
    """A wrong, replayed or throttled code (``retry_after``: seconds to wait when throttled)."""

    def __init__(self, *, retry_after: int | None = None) -> None:
        super().__init__("second factor refused")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SecondFactorUsed:
    """Which factor passed (FACTOR_TOTP or FACTOR_RECOVERY_CODE); codes left after a recovery."""

    factor: str
    recovery_codes_left: int | None = None


# Reads


def totp_device_of(*, user) -> TOTPDevice | None:
    """Return the user's confirmed authenticator app, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@dataclass(frozen=True)
class TwoStepStatus:
    """What protects a user's sign-in besides the password (the two-step page)."""

    totp_device: TOTPDevice | None
    recovery_codes_left: int
    recovery_codes_total: int
    passkeys: int

    @property
    def enabled(self) -> bool:
        """Return whether sign-in asks for a second factor."""
        return bool(self.totp_device or self.recovery_codes_left or self.passkeys)


def two_step_status(*, user) -> TwoStepStatus:
    """Return the user's second factors, for the two-step page."""
    return TwoStepStatus(
        totp_device=totp_device_of(user=user),
        recovery_codes_left=recovery_codes_left(user=user),
        recovery_codes_total=RecoveryCode.objects.filter(user=user).count(),
        passkeys=Passkey.objects.filter(user=user).count(),
    )


def user_has_second_factor(user) -> bool:
    """Return whether signing in as ``user`` must ask for a second factor.

    An authenticator app, an unused recovery code or a passkey each count. One query on
    every password sign-in, in SQL: the ORM takes longer to build it (three ``Exists`` with
    ``OuterRef``, 0.8 ms of CPU) than three queries (0.55 ms) or this one (0.06 ms).
    """
    with connection.cursor() as cursor:
        cursor.execute(_second_factor_sql(), [user.pk, True, user.pk, user.pk])
        (found,) = cursor.fetchone()
    return bool(found)


@cache
def _second_factor_sql() -> str:
    """Return the SQL of ``user_has_second_factor`` (names from the models' metadata)."""
    quote = connection.ops.quote_name

    def table(model) -> str:
        return quote(model._meta.db_table)

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    # Only quoted names from the models go into the text; the values are parameters.
    totp = f"{table(TOTPDevice)} WHERE {column(TOTPDevice, 'user')} = %s"
    codes = f"{table(RecoveryCode)} WHERE {column(RecoveryCode, 'user')} = %s"
    passkeys = f"{table(Passkey)} WHERE {column(Passkey, 'user')} = %s"
    return (
        f"SELECT EXISTS(SELECT 1 FROM {totp} AND {column(TOTPDevice, 'confirmed')} = %s)"  # noqa: S608
        f" OR EXISTS(SELECT 1 FROM {codes} AND {column(RecoveryCode, 'used_at')} IS NULL)"
        f" OR EXISTS(SELECT 1 FROM {passkeys})"
    )


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """Return the device's ``otpauth://`` URL as an inline SVG QR code, drawn here."""
    image = qrcode.make(
        device.config_url,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    # Scaled by CSS; the title is for screen readers.
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your app" ', 1)


def totp_secret_text(*, device: TOTPDevice) -> str:
    """Return the secret as the apps ask for it when typed: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# Authenticator app


def totp_setup_device(*, user) -> TOTPDevice:
    """Return the user's authenticator app being set up (unconfirmed), made on first call.

    The same one comes back until it is confirmed, so reloading the page keeps the QR code.
    An unconfirmed device never signs anyone in.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, digits=TOTP_DIGITS, confirmed=False
        )
    return device


def _totp_code_clean(code: str, *, digits: int) -> int | None:
    """Return the code as django-otp takes it, or None when it is not ``digits`` digits."""
    compact = "".join((code or "").split())
    if len(compact) != digits or not compact.isascii() or not compact.isdigit():
        return None
    return int(compact)


@sensitive_variables("code")
def totp_confirm(*, request: HttpRequest, user, code: str) -> bool:
    """Confirm the authenticator app being set up with a first code; return whether it passed.

    The confirmed app replaces any earlier one. The code used here cannot sign in later
    (``last_t``). Not throttled: the user is signed in and has just been shown the secret.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        token = _totp_code_clean(code, digits=device.digits) if device else None
        if device is None or token is None or not device.verify_token(token):
            return False
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_event_record(
            kind=AuditEvent.Kind.TOTP_ADDED,
            actor=user,
            subject_user=user,
            request=request,
            data={"replaced": bool(replaced)},
        )
    return True


def totp_remove(*, request: HttpRequest, user) -> bool:
    """Remove the user's authenticator app; return whether there was one.

    Without a passkey left, the recovery codes go too: they back up a second factor, and
    alone they would keep asking for a code the user thinks they turned off.
    """
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user, confirmed=True).delete()[0]
        TOTPDevice.objects.filter(user=user).delete()
        if not removed:
            return False
        codes_removed = 0
        if not Passkey.objects.filter(user=user).exists():
            codes_removed = RecoveryCode.objects.filter(user=user).delete()[0]
        audit_event_record(
            kind=AuditEvent.Kind.TOTP_REMOVED,
            actor=user,
            subject_user=user,
            request=request,
            data={"recovery_codes_removed": codes_removed},
        )
    return True


# Checking a code: the second step of a sign-in, re-authentication


def _throttle_identifier(user) -> str:
    # The second factors' shared counter (accounts/services/throttle.py): a right password
    # does not forget wrong codes, and passkeys count in the same one.
    return f"second-factor:{user.pk}"


def _refuse(*, request: HttpRequest, user, retry_after: int | None = None) -> SecondFactorRefused:
    """Count (unless throttled) and audit a refused code; return the exception to raise."""
    data: dict = {"factor": FACTOR_OTP}
    if retry_after is None:
        throttle_failure(request=request, identifier=_throttle_identifier(user), user=user)
    else:
        data.update(throttled=True, retry_after=retry_after)
    with transaction.atomic():
        audit_event_record(
            kind=AuditEvent.Kind.SIGN_IN_FAILED, subject_user=user, request=request, data=data
        )
    return SecondFactorRefused(retry_after=retry_after)


def _totp_verify_unthrottled(*, user, code: str) -> bool:
    with transaction.atomic():
        # The row lock makes a replayed code wait for the first one's new last_t.
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            token = _totp_code_clean(code, digits=device.digits)
            if token is not None and device.verify_token(token):
                return True
    return False


@sensitive_variables("code")
def totp_verify(*, request: HttpRequest, user, code: str) -> None:
    """Check a code of the user's authenticator app, throttled; raise SecondFactorRefused."""
    identifier = _throttle_identifier(user)
    retry_after = throttle_check(request=request, identifier=identifier)
    if retry_after is not None:
        raise _refuse(request=request, user=user, retry_after=retry_after)
    if not _totp_verify_unthrottled(user=user, code=code):
        raise _refuse(request=request, user=user)
    throttle_success(request=request, identifier=identifier)


@sensitive_variables("code")
def second_factor_verify(*, request: HttpRequest, user, code: str) -> SecondFactorUsed:
    """Check an authenticator app code or a recovery code, throttled; raise SecondFactorRefused.

    TOTP_DIGITS digits are an app code; anything else is tried as a recovery code, spent on success.
    """
    identifier = _throttle_identifier(user)
    retry_after = throttle_check(request=request, identifier=identifier)
    if retry_after is not None:
        raise _refuse(request=request, user=user, retry_after=retry_after)
    if _totp_code_clean(code, digits=TOTP_DIGITS) is not None:
        if not _totp_verify_unthrottled(user=user, code=code):
            raise _refuse(request=request, user=user)
        used = SecondFactorUsed(factor=FACTOR_TOTP)
    else:
        left = recovery_code_use(request=request, user=user, code=code)
        if left is None:
            raise _refuse(request=request, user=user)
        used = SecondFactorUsed(factor=FACTOR_RECOVERY_CODE, recovery_codes_left=left)
    throttle_success(request=request, identifier=identifier)
    return used
