"""Registering, renaming and removing passkeys (WebAuthn Level 2 §7.1)."""

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
from webauthn import (
    generate_registration_options,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    options_to_json_dict,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import Passkey, RecoveryCode
from accounts.services.passkeys.common import (
    CEREMONY_TIMEOUT_MS,
    NAME_MAX_LENGTH,
    PURPOSE_REGISTER,
    PasskeyError,
    challenge_store,
    challenge_take,
    descriptors,
    passkeys_of,
    user_handle,
)
from audit.models import AuditEvent
from audit.services import audit_event_record


def passkey_registration_options(*, request: HttpRequest, user) -> dict[str, Any]:
    """Start adding a passkey: return the options for ``navigator.credentials.create``.

    A discoverable credential (resident key) is required, so the passkey can later sign in
    without an email typed first; the user's passkeys are excluded so one authenticator is
    not registered twice.
    """
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user_handle(user),
        user_name=user.email,
        user_display_name=user.get_full_name(),
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=descriptors(passkeys_of(user=user)),
    )
    challenge_store(request, purpose=PURPOSE_REGISTER, challenge=options.challenge, user_id=user.pk)
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
    expected_challenge = challenge_take(request, purpose=PURPOSE_REGISTER, user_id=user.pk)
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
