"""Email addresses: verification, change, and the mails the account pages send.

Links in mails are signed (django.core.signing) and time-limited by
EMAIL_VERIFICATION_MAX_AGE. A verification link is bound to the user and the address it was
sent to; a change link to the user, the current address and the new one, so it dies once the
address has changed (single use).
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac

from audit.models import AuditEvent
from audit.services import audit_event_record
from events.services.outbox import user_claims_change_record

User = get_user_model()
logger = logging.getLogger(__name__)

VERIFY_SALT = "accounts.email.verify"
CHANGE_SALT = "accounts.email.change"

# Kinds of mail counted by mail_allowed (one per address per ACCOUNT_MAIL_INTERVAL_SECONDS).
MAIL_REGISTRATION = "registration"
MAIL_VERIFICATION = "verification"
MAIL_EMAIL_CHANGE = "email-change"
MAIL_PASSWORD_RESET = "password-reset"  # noqa: S105 (a kind of mail)


class EmailLinkInvalid(Exception):
    """The link is forged, expired, or was for an address the account no longer has."""


class EmailTaken(Exception):
    """The new address belongs to another account."""


@dataclass(frozen=True)
class EmailVerification:
    """A valid verification link: whose, and where to go after signing in."""

    user: Any
    next_url: str


@dataclass(frozen=True)
class EmailChange:
    """A valid change link: whose, and the addresses before and after."""

    user: Any
    old_email: str
    new_email: str


def idp_link(path: str) -> str:
    """Return the absolute URL of a path at the identity server.

    Built from IDP_URL, never from the request's Host header: a reset link built from a
    Host an attacker sent would carry the token to the attacker's site (host header
    poisoning).
    """
    return settings.IDP_URL + path


def mail_send(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Send the plain-text mail ``accounts/mail/<template>.txt`` once the transaction commits.

    Its subject is ``accounts/mail/<template>_subject.txt``. A mail that cannot be sent is
    logged, not raised: the page has already answered, the same whatever became of the mail,
    and the user can ask for another one.
    """
    context = {"product_name": settings.PRODUCT_NAME, "idp_url": settings.IDP_URL, **context}
    subject = " ".join(render_to_string(f"accounts/mail/{template}_subject.txt", context).split())
    body = render_to_string(f"accounts/mail/{template}.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[to])

    def send() -> None:
        try:
            message.send()
        except Exception:
            logger.exception("Could not send the %s mail", template)

    transaction.on_commit(send)


def mail_allowed(*, kind: str, key: str) -> bool:
    """Return whether a mail of this kind may go out for ``key`` (an address) now; count it.

    One per ACCOUNT_MAIL_INTERVAL_SECONDS, in the shared cache: ``cache.add`` is atomic.
    The key is hashed so the cache holds no addresses.
    """
    digest = salted_hmac(
        "accounts.mail_allowed", f"{kind}:{key.lower()}", algorithm="sha256"
    ).hexdigest()
    return cache.add(f"account-mail:{digest}", 1, timeout=settings.ACCOUNT_MAIL_INTERVAL_SECONDS)


def _max_age_days() -> int:
    return max(1, settings.EMAIL_VERIFICATION_MAX_AGE // (24 * 3600))


def _signed_payload(token: str, *, salt: str) -> dict[str, Any]:
    try:
        payload = signing.loads(token, salt=salt, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired included
        raise EmailLinkInvalid from error
    if not isinstance(payload, dict):
        raise EmailLinkInvalid
    return payload


def email_verification_token_make(*, user, next_url: str = "") -> str:
    """Return a signed token that verifies ``user``'s current address."""
    return signing.dumps({"u": user.pk, "e": user.email, "n": next_url}, salt=VERIFY_SALT)


def email_verification_mail_send(*, user, next_url: str = "") -> None:
    """Mail ``user`` the link that verifies their address."""
    token = email_verification_token_make(user=user, next_url=next_url)
    mail_send(
        to=user.email,
        template="verify_email",
        context={
            "user": user,
            "verify_url": idp_link(reverse("accounts:verify_email", args=[token])),
            "days": _max_age_days(),
        },
    )


def email_verification_check(*, token: str) -> EmailVerification:
    """Return the verification a link stands for; raise EmailLinkInvalid if it is not valid."""
    payload = _signed_payload(token, salt=VERIFY_SALT)
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or user.email != payload.get("e"):
        raise EmailLinkInvalid
    return EmailVerification(user=user, next_url=str(payload.get("n") or ""))


def email_verify(*, token: str, request: HttpRequest | None = None) -> EmailVerification:
    """Mark the address a link was sent to as verified (again: no change); return it.

    Raises EmailLinkInvalid when the link is not valid (any more).
    """
    verification = email_verification_check(token=token)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=verification.user.pk)
        if user.email != verification.user.email:
            raise EmailLinkInvalid
        if not user.email_verified:
            user.email_verified = True
            user.save(update_fields=["email_verified", "updated_at"])
            audit_event_record(
                kind=AuditEvent.Kind.EMAIL_VERIFIED,
                actor=user,
                subject_user=user,
                request=request,
                data={"email": user.email},
            )
            user_claims_change_record(user=user, fields=["email_verified"])
    return EmailVerification(user=user, next_url=verification.next_url)


def email_verification_resend(*, email: str) -> bool:
    """Send a new verification link to an active, unverified account with this address.

    Return whether a mail went out. Whatever the address, the caller answers the same: this
    says nothing about which addresses have accounts.
    """
    email = User.normalize_email_address(email)
    user = User.objects.filter(email=email, is_active=True, email_verified=False).first()
    if user is None or not mail_allowed(kind=MAIL_VERIFICATION, key=email):
        return False
    email_verification_mail_send(user=user)
    return True


def email_change_token_make(*, user, new_email: str) -> str:
    """Return a signed token that changes ``user``'s address from the current one to another."""
    return signing.dumps({"u": user.pk, "old": user.email, "new": new_email}, salt=CHANGE_SALT)


def email_change_request(*, user, new_email: str, request: HttpRequest | None = None) -> bool:
    """Ask to change ``user``'s address; nothing changes until the new address confirms.

    The new address gets a link; the current one is told of the request. When another
    account uses the new address, no link goes out but everything else happens the same, so
    the answer does not tell whether the address has an account (the confirmation refuses a
    taken address anyway). Return False, doing nothing, when the user asked too recently.
    """
    new_email = User.normalize_email_address(new_email)
    if not mail_allowed(kind=MAIL_EMAIL_CHANGE, key=f"user:{user.pk}"):
        return False
    taken = User.objects.filter(email=new_email).exclude(pk=user.pk).exists()
    with transaction.atomic():
        audit_event_record(
            kind=AuditEvent.Kind.EMAIL_CHANGE_REQUESTED,
            actor=user,
            subject_user=user,
            request=request,
            data={"new_email": new_email},
        )
        if not taken:
            token = email_change_token_make(user=user, new_email=new_email)
            mail_send(
                to=new_email,
                template="email_change_confirm",
                context={
                    "user": user,
                    "new_email": new_email,
                    "confirm_url": idp_link(reverse("accounts:email_confirm", args=[token])),
                    "days": _max_age_days(),
                },
            )
        mail_send(
            to=user.email,
            template="email_change_requested",
            context={
                "user": user,
                "new_email": new_email,
                "password_url": idp_link(reverse("accounts:password")),
                "reset_url": idp_link(reverse("accounts:password_reset")),
            },
        )
    return True


def email_change_check(*, token: str) -> EmailChange:
    """Return the change a link stands for; raise EmailLinkInvalid if it is not valid."""
    payload = _signed_payload(token, salt=CHANGE_SALT)
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    old_email, new_email = payload.get("old"), payload.get("new")
    if user is None or user.email != old_email or not isinstance(new_email, str):
        raise EmailLinkInvalid
    return EmailChange(user=user, old_email=old_email, new_email=new_email)


def email_change_confirm(*, token: str, request: HttpRequest | None = None) -> EmailChange:
    """Change the address as a link says: the new address is verified by following it.

    Raises EmailLinkInvalid for a link that is not valid (a used one included: the account's
    address is no longer the one it was made for), EmailTaken when another account has the
    new address by now. The old address is told of the change.
    """
    change = email_change_check(token=token)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=change.user.pk)
        if user.email != change.old_email:
            raise EmailLinkInvalid
        if User.objects.filter(email=change.new_email).exclude(pk=user.pk).exists():
            raise EmailTaken
        user.email = change.new_email
        user.email_verified = True
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified", "updated_at"])
        except IntegrityError as error:  # taken between the check and the write
            raise EmailTaken from error
        audit_event_record(
            kind=AuditEvent.Kind.EMAIL_CHANGED,
            actor=user,
            subject_user=user,
            request=request,
            data={"old_email": change.old_email, "new_email": change.new_email},
        )
        # Only now, verified, does the new address reach the clients.
        user_claims_change_record(user=user, fields=["email", "email_verified"])
        mail_send(
            to=change.old_email,
            template="email_changed",
            context={"user": user, "old_email": change.old_email, "new_email": user.email},
        )
    return EmailChange(user=user, old_email=change.old_email, new_email=user.email)
