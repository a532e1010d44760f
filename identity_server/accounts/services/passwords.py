"""Setting a password: by its owner, by a reset link, or by an admin.

Reset links use Django's ``default_token_generator``: the token hashes the user's password
hash, last sign-in and email, so it lives PASSWORD_RESET_TIMEOUT seconds, dies at any
password change and is single use (the reset changes the hash it was made from).
"""

from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.services.emails import MAIL_PASSWORD_RESET, idp_link, mail_allowed, mail_send
from audit.models import AuditEvent
from audit.services import audit_event_record
from events.services.outbox import user_claims_change_record
from oidc import constants
from oidc.services.sessions import idp_sessions_end_for_user

User = get_user_model()


def user_password_set(
    *,
    user,
    password: str,
    kind: AuditEvent.Kind = AuditEvent.Kind.PASSWORD_CHANGED,
    actor=None,
    request: HttpRequest | None = None,
    keep_current_session: bool = False,
) -> int:
    """Store a new password and end the user's sessions; return how many IdP sessions ended.

    Every IdP session of the user ends (tokens revoked, shops told by back-channel logout),
    except, with ``keep_current_session``, the one of the browser that made the change, which
    stays signed in. The caller has validated the password.
    """
    keep_sid = None
    if keep_current_session and request is not None:
        keep_sid = request.session.get(constants.SESSION_SID_KEY)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        ended = idp_sessions_end_for_user(user=user, except_sid=keep_sid)
        audit_event_record(
            kind=kind,
            actor=actor if actor is not None else user,
            subject_user=user,
            request=request,
            data={"sessions_ended": ended},
        )
    if keep_sid is not None and request is not None:
        # Django ends every session of the user at a password change; keep this one.
        update_session_auth_hash(request, user)
    return ended


def password_change(*, user, password: str, request: HttpRequest) -> int:
    """Change the signed-in user's own password; return how many other sessions ended.

    This browser stays signed in; the user's other IdP sessions end and their shops are
    signed out by back-channel logout. The caller checked the current password and validated
    the new one. The address on the account is told.
    """
    with transaction.atomic():
        ended = user_password_set(
            user=user, password=password, request=request, keep_current_session=True
        )
        _password_changed_mail_send(user=user)
    return ended


def password_reset_url(*, user) -> str:
    """Return the absolute reset link for ``user`` (valid PASSWORD_RESET_TIMEOUT seconds)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return idp_link(reverse("accounts:password_reset_confirm", args=[uidb64, token]))


def password_reset_minutes() -> int:
    """Return how long a reset link lives, in minutes (for the mails and pages)."""
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 60)


def password_reset_request(*, email: str, request: HttpRequest | None = None) -> None:
    """Mail a reset link to the active account with this address, if there is one.

    An address without an active account gets a mail saying so: either way one mail goes
    out, so the answer (and its time) does not tell whether the account exists. At most one
    reset mail per address per ACCOUNT_MAIL_INTERVAL_SECONDS.
    """
    email = User.normalize_email_address(email)
    user = User.objects.filter(email=email, is_active=True).first()
    allowed = mail_allowed(kind=MAIL_PASSWORD_RESET, key=email)
    with transaction.atomic():
        audit_event_record(
            kind=AuditEvent.Kind.PASSWORD_RESET_REQUESTED,
            subject_user=user,
            request=request,
            data={"email": email[:254], "mailed": allowed},
        )
        if not allowed:
            return
        if user is None:
            mail_send(
                to=email,
                template="password_reset_unknown",
                context={
                    "email": email,
                    "register_url": idp_link(reverse("accounts:register")),
                },
            )
        else:
            mail_send(
                to=email,
                template="password_reset",
                context={
                    "user": user,
                    "reset_url": password_reset_url(user=user),
                    "minutes": password_reset_minutes(),
                },
            )


def password_reset_user(*, uidb64: str, token: str):
    """Return the active user a reset link is for, or None when the link is not valid."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        user = User.objects.filter(pk=pk, is_active=True).first()
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError, ValidationError):
        return None
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def password_reset_complete(*, user, password: str, request: HttpRequest | None = None) -> int:
    """Set the password a reset link allowed; end every session of the user everywhere.

    Every IdP session ends (tokens revoked, shops told by back-channel logout). Following
    the link proved control of the address, so it counts as verified. The caller checked the
    link and validated the password. Return how many IdP sessions ended.
    """
    with transaction.atomic():
        if not user.email_verified:
            user.email_verified = True
            user.save(update_fields=["email_verified", "updated_at"])
            audit_event_record(
                kind=AuditEvent.Kind.EMAIL_VERIFIED,
                actor=user,
                subject_user=user,
                request=request,
                data={"email": user.email, "by": "password_reset"},
            )
            user_claims_change_record(user=user, fields=["email_verified"])
        ended = user_password_set(
            user=user,
            password=password,
            kind=AuditEvent.Kind.PASSWORD_RESET,
            request=request,
            keep_current_session=False,
        )
        _password_changed_mail_send(user=user)
    return ended


def _password_changed_mail_send(*, user) -> None:
    # ASVS 5 V6.3.7: the account holder is told when a credential changes.
    mail_send(
        to=user.email,
        template="password_changed",
        context={"user": user, "reset_url": idp_link(reverse("accounts:password_reset"))},
    )
