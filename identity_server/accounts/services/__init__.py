"""Writes on accounts: deactivation and failed sign-ins (profile changes: profile.py)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from accounts.services.profile import (  # noqa: F401 (re-exported)
    PROFILE_FIELDS,
    ProfileEditConflict,
    user_profile_update,
)
from accounts.services.throttle import RETRY_AFTER_ATTRIBUTE
from audit.models import AuditEvent
from audit.services import audit_event_record
from events.constants import EVENT_ACCOUNT_DISABLED
from events.services.outbox import user_status_record
from oidc.services.sessions import idp_sessions_end_for_user

User = get_user_model()


def user_deactivate(*, user, actor=None, request: HttpRequest | None = None) -> None:
    """Deactivate an account: no more sign-in, sessions ended, tokens revoked.

    The IdP sessions end in the same transaction; their clients' back-channel logout tokens
    and an account-disabled event for each client that knows the user are queued in it.
    """
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        ended = idp_sessions_end_for_user(user=user)
        user_status_record(user=user, event_type=EVENT_ACCOUNT_DISABLED)
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
    """Record a failed sign-in, linked to the account when the email names one.

    A try the sign-in throttle refused (accounts/backends.py) says so, with its wait.
    """
    subject = User.objects.filter(email=User.normalize_email_address(username)).first()
    data = {"username": (username or "")[:254]}
    retry_after = getattr(request, RETRY_AFTER_ATTRIBUTE, None)
    if retry_after is not None:
        data.update(throttled=True, retry_after=retry_after)
    audit_event_record(
        kind=AuditEvent.Kind.SIGN_IN_FAILED, subject_user=subject, request=request, data=data
    )
