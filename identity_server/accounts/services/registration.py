"""Registration: the same answer, work and time for a new address and a taken one."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse

from accounts.services.emails import (
    MAIL_REGISTRATION,
    email_verification_mail_send,
    idp_link,
    mail_allowed,
    mail_send,
)
from accounts.services.passwords import password_reset_minutes, password_reset_url
from audit.models import AuditEvent
from audit.services import audit_event_record

User = get_user_model()


def registration_submit(
    *,
    email: str,
    password: str,
    given_name: str = "",
    family_name: str = "",
    next_url: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Register an address: a new account and its verification mail, or a mail to the owner.

    The caller answers "check your email" either way. Both ways hash the password and send
    one mail, so neither the answer nor its time tells whether the address has an account.
    A new account is not signed in: its email is unverified until the link is followed.
    ``next_url`` (a relative URL checked by the caller) rides in the verification link.
    """
    email = User.normalize_email_address(email)
    # Hashing is most of the cost of a registration: do it whether or not the address is free.
    encoded = make_password(password)
    mail_wanted = mail_allowed(kind=MAIL_REGISTRATION, key=email)
    if not User.objects.filter(email=email).exists():
        user = User(email=email, password=encoded, given_name=given_name, family_name=family_name)
        try:
            with transaction.atomic():
                user.save(force_insert=True)
                audit_event_record(
                    kind=AuditEvent.Kind.REGISTERED, actor=user, subject_user=user, request=request
                )
                if mail_wanted:
                    email_verification_mail_send(user=user, next_url=next_url)
            return
        except IntegrityError:
            pass  # registered by a concurrent request since the check: the owner is told
    owner = User.objects.get(email=email)
    with transaction.atomic():
        audit_event_record(
            kind=AuditEvent.Kind.REGISTRATION_ATTEMPT_EXISTING, subject_user=owner, request=request
        )
        if mail_wanted:
            mail_send(
                to=owner.email,
                template="registration_existing",
                context={
                    "user": owner,
                    "login_url": idp_link(reverse("accounts:login")),
                    "reset_url": password_reset_url(user=owner) if owner.is_active else "",
                    "minutes": password_reset_minutes(),
                },
            )
