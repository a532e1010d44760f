"""Passkeys (WebAuthn): register them, and sign in with one, alone or after a password.

The ceremonies follow WebAuthn Level 2 (§7.1 registration, §7.2 authentication) through
py_webauthn, which checks the challenge, origin, RP ID, flags and signature. What is ours:

- Each challenge lives in the Django session, bound to its purpose (and user), for a few
  minutes, and is taken out before the answer is checked: an answer is checked once, so a
  replayed assertion finds no challenge.
- The signature counter (§6.1.1): py_webauthn is given 0 as the stored count so it verifies
  the signature first; the count is compared here, under a row lock, and a counter that did
  not move forward is refused and audited (a sign of a cloned authenticator).
- A passkey used alone must verify the user (PIN or biometrics, the UV flag), so it counts as
  two factors (accounts.services.signin.amr_of); after a password, presence is enough.
"""

import time
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import Passkey, RecoveryCode
from accounts.services.signin import sign_in_complete, sign_in_pending
from accounts.services.throttle import throttle_check, throttle_failure, throttle_success
from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc import constants

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


def _challenge_store(
    request: HttpRequest, *, purpose: str, challenge: bytes, user_id: int | None
) -> None:
    request.session[CHALLENGE_KEY_PREFIX + purpose] = {
        "challenge": bytes_to_base64url(challenge),
        "user_id": user_id,
        "started": time.time(),
    }


def _challenge_take(request: HttpRequest, *, purpose: str, user_id: int | None) -> bytes:
    """Remove and return the purpose's challenge; refuse a missing, stale or foreign one."""
    stored = request.session.pop(CHALLENGE_KEY_PREFIX + purpose, None)
    if not isinstance(stored, dict):
        raise PasskeyError(*EXPIRED)
    if time.time() - float(stored.get("started", 0)) > CHALLENGE_MAX_AGE_SECONDS:
        raise PasskeyError(*EXPIRED)
    if stored.get("user_id") != user_id:
        raise PasskeyError(*EXPIRED)
    return base64url_to_bytes(stored["challenge"])


def _user_handle(user) -> bytes:
    """Return the WebAuthn user handle: the opaque ``sub``, never the email (§14.6.1)."""
    return user.sub.bytes


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
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


def passkey_registration_options(*, request: HttpRequest, user) -> dict[str, Any]:
    """Start adding a passkey: return the options for ``navigator.credentials.create``.

    A discoverable credential (resident key) is required, so the passkey can later sign in
    without an email typed first; the user's passkeys are excluded so one authenticator is
    not registered twice.
    """
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.get_full_name(),
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(passkeys_of(user=user)),
    )
    _challenge_store(
        request, purpose=PURPOSE_REGISTER, challenge=options.challenge, user_id=user.pk
    )
    return options_to_json_dict(options)


def passkey_name_clean(name: Any) -> str:
    """Return the name stripped, or raise PasskeyError when empty, too long or not text."""
    if not isinstance(name, str) or "\x00" in name:
        raise PasskeyError("invalid_name", "Give the passkey a name.")
    name = " ".join(name.split())
    if not name:
        raise PasskeyError("invalid_name", "Give the passkey a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise PasskeyError(
            "invalid_name", f"A passkey's name has at most {NAME_MAX_LENGTH} characters."
        )
    return name


def passkey_register(*, request: HttpRequest, user, name: Any, credential: Any) -> Passkey:
    """Check the browser's answer to the registration options and store the passkey."""
    name = passkey_name_clean(name)
    expected_challenge = _challenge_take(request, purpose=PURPOSE_REGISTER, user_id=user.pk)
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=expected_challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGIN,
        )
    except WebAuthnException as exc:
        raise PasskeyError(
            "not_verified", "The new passkey could not be verified. Please try again."
        ) from exc
    transports = [transport.value for transport in (parsed.response.transports or [])]
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                name=name,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
            )
            audit_event_record(
                kind=AuditEvent.Kind.PASSKEY_ADDED,
                actor=user,
                subject_user=user,
                request=request,
                data={"passkey": passkey.pk, "name": name},
            )
    except IntegrityError as exc:
        raise PasskeyError("already_registered", "This passkey is already registered.") from exc
    return passkey


def passkey_rename(*, request: HttpRequest, user, passkey_id: int, name: Any) -> Passkey:
    """Rename one of the user's passkeys."""
    name = passkey_name_clean(name)
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        raise PasskeyError("unknown_passkey", "This passkey does not exist.")
    passkey.name = name
    passkey.save(update_fields=["name"])
    return passkey


def passkey_remove(*, request: HttpRequest, user, passkey_id: int) -> bool:
    """Remove one of the user's passkeys; return False when it was not theirs or is gone."""
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().filter(user=user, pk=passkey_id).first()
        if passkey is None:
            return False
        name = passkey.name
        passkey.delete()
        # As accounts.services.mfa.totp_remove: with no second factor left, the recovery
        # codes go too (alone, they would keep the second step asking for a code).
        codes_removed = 0
        if not (
            Passkey.objects.filter(user=user).exists()
            or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        ):
            codes_removed = RecoveryCode.objects.filter(user=user).delete()[0]
        audit_event_record(
            kind=AuditEvent.Kind.PASSKEY_REMOVED,
            actor=user,
            subject_user=user,
            request=request,
            data={"passkey": passkey_id, "name": name, "recovery_codes_removed": codes_removed},
        )
    return True


# Authentication


def passkey_sign_in_options(*, request: HttpRequest) -> dict[str, Any]:
    """Start a password-less sign-in: options for ``navigator.credentials.get``.

    No credentials are listed: the authenticator offers the discoverable ones it holds for
    this RP, so no email is needed and none is revealed. The user must be verified.
    """
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        timeout=CEREMONY_TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _challenge_store(request, purpose=PURPOSE_SIGN_IN, challenge=options.challenge, user_id=None)
    return options_to_json_dict(options)


def passkey_second_factor_options(*, request: HttpRequest) -> dict[str, Any]:
    """Start the second step of a pending sign-in with one of the pending user's passkeys."""
    pending = sign_in_pending(request)
    if pending is None:
        raise PasskeyError(*NO_PENDING)
    user, _methods = pending
    passkeys = passkeys_of(user=user)
    if not passkeys:
        raise PasskeyError("no_passkeys", "Your account has no passkey. Use another way.")
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=_descriptors(passkeys),
        # The password was the first factor; presence of the key is the second.
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    _challenge_store(
        request, purpose=PURPOSE_SECOND_FACTOR, challenge=options.challenge, user_id=user.pk
    )
    return options_to_json_dict(options)


def passkey_sign_in(*, request: HttpRequest, credential: Any) -> PasskeySignIn:
    """Sign in with a passkey alone (password-less); it counts as two factors."""
    expected_challenge = _challenge_take(request, purpose=PURPOSE_SIGN_IN, user_id=None)
    parsed = _assertion_parse(request, credential=credential, user=None, identifier="passkey:")
    credential_id = bytes_to_base64url(parsed.raw_id)
    # Counted per credential (a known and an unknown one alike) and per client IP.
    identifier = f"passkey:{credential_id}"
    _throttle_check(request, identifier=identifier)
    passkey = Passkey.objects.select_related("user").filter(credential_id=credential_id).first()
    if passkey is None or not passkey.user.is_active:
        _failure(request, user=None, identifier=identifier, error=UNKNOWN)
    user = passkey.user
    # §7.2 step 6: a discoverable credential names its user; it must be the passkey's owner.
    handle = parsed.response.user_handle
    if handle is not None and handle != _user_handle(user):
        _failure(request, user=user, identifier=identifier, error=UNKNOWN)
    _assertion_verify(
        request,
        passkey=passkey,
        credential=parsed,
        expected_challenge=expected_challenge,
        identifier=identifier,
        require_user_verification=True,
    )
    throttle_success(request=request, identifier=identifier)
    amr = sign_in_complete(request=request, user=user, methods=[constants.AMR_HARDWARE_KEY])
    return PasskeySignIn(user=user, amr=amr)


def passkey_second_factor(*, request: HttpRequest, credential: Any) -> PasskeySignIn:
    """Complete a pending sign-in (password passed) with one of the user's passkeys."""
    pending = sign_in_pending(request)
    if pending is None:
        raise PasskeyError(*NO_PENDING)
    user, methods = pending
    expected_challenge = _challenge_take(request, purpose=PURPOSE_SECOND_FACTOR, user_id=user.pk)
    # The second factors' shared counter (accounts/services/throttle.py).
    identifier = f"second-factor:{user.pk}"
    parsed = _assertion_parse(request, credential=credential, user=user, identifier=identifier)
    _throttle_check(request, identifier=identifier)
    # Only the pending user's own passkeys: another account's passkey proves nothing here.
    passkey = Passkey.objects.filter(
        user=user, credential_id=bytes_to_base64url(parsed.raw_id)
    ).first()
    if passkey is None:
        _failure(request, user=user, identifier=identifier, error=NOT_YOURS)
    _assertion_verify(
        request,
        passkey=passkey,
        credential=parsed,
        expected_challenge=expected_challenge,
        identifier=identifier,
        require_user_verification=False,
    )
    throttle_success(request=request, identifier=identifier)
    amr = sign_in_complete(
        request=request, user=user, methods=[*methods, constants.AMR_HARDWARE_KEY]
    )
    return PasskeySignIn(user=user, amr=amr)


def _assertion_parse(
    request: HttpRequest, *, credential: Any, user, identifier: str
) -> AuthenticationCredential:
    try:
        parsed = parse_authentication_credential_json(credential)
    except WebAuthnException:
        parsed = None
    if parsed is None or not parsed.raw_id:
        _failure(request, user=user, identifier=identifier, error=MALFORMED)
    return parsed


def _assertion_verify(
    request: HttpRequest,
    *,
    passkey: Passkey,
    credential: AuthenticationCredential,
    expected_challenge: bytes,
    identifier: str,
    require_user_verification: bool,
) -> None:
    """Verify the assertion, then move the stored counter forward (or refuse a regression)."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected_challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGIN,
            credential_public_key=bytes(passkey.public_key),
            # 0: the counter is compared below, under a lock, once the signature is good.
            credential_current_sign_count=0,
            require_user_verification=require_user_verification,
        )
    except WebAuthnException:
        _failure(request, user=passkey.user, identifier=identifier, error=NOT_VERIFIED)
    with transaction.atomic():
        locked = Passkey.objects.select_for_update().get(pk=passkey.pk)
        new_count = verified.new_sign_count
        # §6.1.1: authenticators without a counter always send 0; any other value must grow.
        if (new_count or locked.sign_count) and new_count <= locked.sign_count:
            regressed = True
        else:
            regressed = False
            locked.sign_count = new_count
            locked.last_used_at = timezone.now()
            locked.save(update_fields=["sign_count", "last_used_at"])
    if regressed:
        _failure(
            request,
            user=passkey.user,
            identifier=identifier,
            error=COUNTER,
            data={"passkey": passkey.pk, "sign_count": new_count, "stored": locked.sign_count},
        )


def _throttle_check(request: HttpRequest, *, identifier: str) -> None:
    """Refuse, without checking anything, while the identifier or the client is throttled."""
    retry_after = throttle_check(request=request, identifier=identifier)
    if retry_after is not None:
        raise PasskeyError(
            "throttled",
            "Too many failed sign-in attempts. Please wait a moment and try again.",
            retry_after=retry_after,
        )


def _failure(
    request: HttpRequest,
    *,
    user,
    identifier: str,
    error: tuple[str, str],
    data: dict[str, Any] | None = None,
) -> NoReturn:
    """Audit a failed passkey sign-in, count it in the throttle, and raise ``error``."""
    code, detail = error
    with transaction.atomic():
        audit_event_record(
            kind=AuditEvent.Kind.SIGN_IN_FAILED,
            subject_user=user,
            request=request,
            data={"factor": "passkey", "reason": code, **(data or {})},
        )
        throttle_failure(request=request, identifier=identifier, user=user)
    raise PasskeyError(code, detail)
