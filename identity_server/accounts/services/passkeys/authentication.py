"""Signing in with a passkey, alone or after a password (WebAuthn Level 2 §7.2)."""

from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    verify_authentication_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    UserVerificationRequirement,
)

from accounts.models import Passkey
from accounts.services.passkeys.common import (
    CEREMONY_TIMEOUT_MS,
    COUNTER,
    MALFORMED,
    NO_PENDING,
    NOT_VERIFIED,
    NOT_YOURS,
    PURPOSE_SECOND_FACTOR,
    PURPOSE_SIGN_IN,
    UNKNOWN,
    PasskeyError,
    PasskeySignIn,
    challenge_store,
    challenge_take,
    descriptors,
    passkeys_of,
    user_handle,
)
from accounts.services.signin import sign_in_complete, sign_in_pending
from accounts.services.throttle import throttle_check, throttle_failure, throttle_success
from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc import constants


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
    challenge_store(request, purpose=PURPOSE_SIGN_IN, challenge=options.challenge, user_id=None)
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
        allow_credentials=descriptors(passkeys),
        # The password was the first factor; presence of the key is the second.
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    challenge_store(
        request, purpose=PURPOSE_SECOND_FACTOR, challenge=options.challenge, user_id=user.pk
    )
    return options_to_json_dict(options)


def passkey_sign_in(*, request: HttpRequest, credential: Any) -> PasskeySignIn:
    """Sign in with a passkey alone (password-less); it counts as two factors."""
    expected_challenge = challenge_take(request, purpose=PURPOSE_SIGN_IN, user_id=None)
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
    if handle is not None and handle != user_handle(user):
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
    expected_challenge = challenge_take(request, purpose=PURPOSE_SECOND_FACTOR, user_id=user.pk)
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
