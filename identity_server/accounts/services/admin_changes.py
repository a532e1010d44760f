"""Changes an admin makes to a user, each audited with the admin as the actor.

The admin (accounts/admin.py) calls these instead of saving the model: profile fields go
through the account pages' own service, the rest is recorded as ``USER_CHANGED`` with the
names of the fields that changed, activation as ``DEACTIVATED`` / ``REACTIVATED``, a password
as ``PASSWORD_CHANGED``. Each writes its audit event in the transaction of its change.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from accounts.services import user_deactivate
from accounts.services.passwords import user_password_set
from accounts.services.profile import PROFILE_FIELDS, user_profile_update
from audit.models import AuditEvent
from audit.services import audit_event_record
from events.constants import EVENT_ACCOUNT_ENABLED, EVENT_ACCOUNT_PURGED
from events.services.outbox import user_claims_change_record, user_status_record
from oidc.services.sessions import idp_sessions_end_for_user

User = get_user_model()

# The account fields an admin sets directly (the email without a verification mail: the
# admin says whether it is verified). Their new values are not secrets and go in the audit.
ACCOUNT_FIELDS = ("email", "email_verified", "is_staff", "is_superuser")
ACTIVE_FIELD = "is_active"
AVATAR_FIELD = "avatar"


def user_admin_create(*, user, actor, request: HttpRequest | None = None):
    """Save a user an admin's add form built (password set or made unusable) and record it."""
    with transaction.atomic():
        user.save()
        audit_event_record(
            kind=AuditEvent.Kind.REGISTERED,
            actor=actor,
            subject_user=user,
            request=request,
            data={"by_admin": True, "usable_password": user.has_usable_password()},
        )
    return user


def user_admin_change(
    *,
    user,
    values: dict[str, Any],
    avatar: UploadedFile | bool | None = None,
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
    actor,
    request: HttpRequest | None = None,
) -> list[str]:
    """Apply an admin's edit of a user; return the names of the fields that changed.

    ``values`` holds the new values of the fields the admin changed: profile fields,
    ``ACCOUNT_FIELDS`` and ``is_active``; ``avatar`` is a file to store, False to remove the
    picture, None to keep it; ``groups`` and ``permissions``, when given, replace the user's.
    Profile fields are recorded as ``PROFILE_CHANGED`` (the account pages' service), the
    account fields, groups and permissions as one ``USER_CHANGED``, and a change of
    ``is_active`` as ``DEACTIVATED`` (which ends every session) or ``REACTIVATED``. The
    clients that know the user hear of it: one token-claims-change event for every claim
    that changed, then account-disabled or account-enabled.
    """
    if "email" in values:
        values = {**values, "email": User.normalize_email_address(values["email"])}
    with transaction.atomic():
        # The row lock orders this edit after any concurrent one.
        current = User.objects.select_for_update().get(pk=user.pk)
        profile = {name: value for name, value in values.items() if name in PROFILE_FIELDS}
        changed = []
        if profile or avatar is not None:
            changed += user_profile_update(
                user=current,
                data=profile,
                avatar=avatar,
                actor=actor,
                request=request,
                notify=False,
            )
        changed += _account_fields_change(
            user=current,
            values=values,
            groups=groups,
            permissions=permissions,
            actor=actor,
            request=request,
        )
        user_claims_change_record(user=current, fields=changed)
        active = values.get(ACTIVE_FIELD, current.is_active)
        if active != current.is_active:
            if active:
                user_reactivate(user=current, actor=actor, request=request)
            else:
                user_deactivate(user=current, actor=actor, request=request)
            changed.append(ACTIVE_FIELD)
    for name in (*PROFILE_FIELDS, AVATAR_FIELD, *ACCOUNT_FIELDS, ACTIVE_FIELD, "updated_at"):
        setattr(user, name, getattr(current, name))
    return changed


def _account_fields_change(
    *,
    user,
    values: dict[str, Any],
    groups: Iterable[Group] | None,
    permissions: Iterable[Permission] | None,
    actor,
    request: HttpRequest | None,
) -> list[str]:
    """Write the account fields, groups and permissions that differ; record one event."""
    fields = [
        name for name in ACCOUNT_FIELDS if name in values and getattr(user, name) != values[name]
    ]
    data: dict[str, Any] = {}
    if "email" in fields:
        data["email"] = {"old": user.email, "new": values["email"]}
    for name in fields:
        setattr(user, name, values[name])
    data |= {name: values[name] for name in fields if name != "email"}
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    if groups is not None:
        added, removed = _relation_replace(user.groups, set(groups), label=str)
        if added or removed:
            fields.append("groups")
            data |= {"groups_added": added, "groups_removed": removed}
    if permissions is not None:
        added, removed = _relation_replace(
            user.user_permissions, set(permissions), label=_permission_label
        )
        if added or removed:
            fields.append("user_permissions")
            data |= {"permissions_added": added, "permissions_removed": removed}
    if fields:
        audit_event_record(
            kind=AuditEvent.Kind.USER_CHANGED,
            actor=actor,
            subject_user=user,
            request=request,
            data={"fields": fields, **data},
        )
    return fields


def _relation_replace(manager, wanted: set, *, label) -> tuple[list[str], list[str]]:
    """Make a many-to-many relation hold ``wanted``; return the labels added and removed."""
    current = set(manager.all())
    added, removed = wanted - current, current - wanted
    if added:
        manager.add(*added)
    if removed:
        manager.remove(*removed)
    return sorted(map(label, added)), sorted(map(label, removed))


def _permission_label(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def user_reactivate(*, user, actor=None, request: HttpRequest | None = None) -> None:
    """Let a deactivated account sign in again, record it, and tell its clients."""
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active", "updated_at"])
        user_status_record(user=user, event_type=EVENT_ACCOUNT_ENABLED)
        audit_event_record(
            kind=AuditEvent.Kind.REACTIVATED, actor=actor, subject_user=user, request=request
        )


def user_tokens_revoke(*, user) -> int:
    """Revoke every access and refresh token of a user, in sessions or not; return how many.

    Ending the IdP sessions revokes the tokens issued within them; this also reaches tokens
    no session is known for (issued before sessions were linked to tokens).
    """
    refresh_tokens = get_refresh_token_model().objects.filter(user=user, revoked__isnull=True)
    count = 0
    for refresh_token in refresh_tokens:
        refresh_token.revoke()
        count += 1
    for access_token in get_access_token_model().objects.filter(user=user):
        access_token.revoke()
        count += 1
    return count


def user_sessions_end_by_admin(*, user, actor, request: HttpRequest | None = None) -> int:
    """End every session of a user: IdP sessions, tokens, shops (back-channel logout).

    Return how many IdP sessions ended. The logout tokens go out after the commit.
    """
    with transaction.atomic():
        ended = idp_sessions_end_for_user(user=user)
        revoked = user_tokens_revoke(user=user)
        audit_event_record(
            kind=AuditEvent.Kind.SESSIONS_ENDED,
            actor=actor,
            subject_user=user,
            request=request,
            data={"count": ended, "tokens_revoked": revoked, "by_admin": True},
        )
    return ended


def user_admin_password_set(
    *, user, password: str | None, actor, request: HttpRequest | None = None
) -> int:
    """Set a user's password for an admin, or with None disable password sign-in.

    Either way every session of the user ends, this browser's too when the admin changes
    their own: IdP sessions, Django sessions, tokens, and the shops' sessions through
    back-channel logout. The caller validated the password. Return how many IdP sessions
    ended.
    """
    with transaction.atomic():
        if password is not None:
            ended = user_password_set(
                user=user,
                password=password,
                kind=AuditEvent.Kind.PASSWORD_CHANGED,
                actor=actor,
                request=request,
                keep_current_session=False,
            )
        else:
            user.set_unusable_password()
            user.save(update_fields=["password", "updated_at"])
            ended = idp_sessions_end_for_user(user=user)
            audit_event_record(
                kind=AuditEvent.Kind.PASSWORD_CHANGED,
                actor=actor,
                subject_user=user,
                request=request,
                data={"sessions_ended": ended, "usable_password": False},
            )
        user_tokens_revoke(user=user)
    return ended


def user_admin_delete(*, user, actor, request: HttpRequest | None = None) -> None:
    """Delete an account for an admin and record it; the event keeps its email and sub.

    Its sessions end first, so the shops are told by back-channel logout, and each client
    that knows the user gets an account-purged event: both are queued before the rows go
    (the clients that knew the user go with it). Its tokens go with it (cascade).
    """
    with transaction.atomic():
        idp_sessions_end_for_user(user=user)
        user_status_record(user=user, event_type=EVENT_ACCOUNT_PURGED)
        audit_event_record(
            kind=AuditEvent.Kind.USER_CHANGED,
            actor=actor,
            request=request,
            data={"fields": ["deleted"], "email": user.email, "sub": str(user.sub)},
        )
        user.delete()
