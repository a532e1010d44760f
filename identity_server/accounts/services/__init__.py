"""Writes on accounts: registration, profile changes, deactivation."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc.services.sessions import idp_sessions_end_for_user

User = get_user_model()

PROFILE_FIELDS = ("given_name", "family_name", "nickname", "phone_number", "locale")


def user_register(
    *,
    email: str,
    password: str,
    given_name: str = "",
    family_name: str = "",
    request: HttpRequest | None = None,
):
    """Create a customer account and record it. The email is not verified yet."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, given_name=given_name, family_name=family_name
        )
        audit_event_record(
            kind=AuditEvent.Kind.REGISTERED, actor=user, subject_user=user, request=request
        )
    return user


def user_profile_update(
    *,
    user,
    data: dict[str, Any],
    avatar: UploadedFile | bool | None = None,
    actor=None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Change profile fields (and the avatar); return the names of the fields that changed.

    ``avatar`` is an uploaded file to store, False to remove the picture, None to keep it.
    """
    changed = [
        name for name in PROFILE_FIELDS if name in data and getattr(user, name) != data[name]
    ]
    for name in changed:
        setattr(user, name, data[name])
    if avatar is False and user.avatar:
        user.avatar.delete(save=False)
        changed.append("avatar")
    elif avatar:
        user.avatar = avatar
        changed.append("avatar")
    if not changed:
        return []
    with transaction.atomic():
        user.save()
        audit_event_record(
            kind=AuditEvent.Kind.PROFILE_CHANGED,
            actor=actor or user,
            subject_user=user,
            request=request,
            data={"fields": changed},
        )
    return changed


def user_deactivate(*, user, actor=None, request: HttpRequest | None = None) -> None:
    """Deactivate an account: no more sign-in, sessions ended, tokens revoked.

    The IdP sessions end in the same transaction; their clients get back-channel logout
    tokens after it commits.
    """
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        ended = idp_sessions_end_for_user(user=user)
        for refresh_token in RefreshToken.objects.filter(user=user, revoked__isnull=True):
            refresh_token.revoke()
        for access_token in AccessToken.objects.filter(user=user):
            access_token.revoke()
        audit_event_record(
            kind=AuditEvent.Kind.DEACTIVATED,
            actor=actor,
            subject_user=user,
            request=request,
            data={"sessions_ended": ended},
        )


def user_sign_in_failed_record(*, username: str, request: HttpRequest | None) -> None:
    """Record a failed sign-in, linked to the account when the email names one."""
    subject = User.objects.filter(email=User.normalize_email_address(username)).first()
    audit_event_record(
        kind=AuditEvent.Kind.SIGN_IN_FAILED,
        subject_user=subject,
        request=request,
        data={"username": (username or "")[:254]},
    )
