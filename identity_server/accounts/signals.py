"""Receivers of Django's signals: authentication, and the row changes the reconcile API sees."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import DeletedAccount
from accounts.services import user_sign_in_failed_record
from oidc.services.sessions import idp_session_end, idp_session_start


def on_user_logged_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """Open the IdP session (sid, auth_time) of every sign-in, admin included."""
    idp_session_start(request=request, user=user)


def on_user_logged_out(sender, request: HttpRequest, user, **kwargs) -> None:
    """End the IdP session, whether from our sign-out or RP-initiated logout at /o/logout/."""
    idp_session_end(request=request, user=user)


def on_user_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kw):
    """Record a failed sign-in (the password is never stored: Django cleanses it)."""
    user_sign_in_failed_record(username=credentials.get("username", ""), request=request)


def _users_touch(pks: Iterable[int]) -> None:
    """Bump ``updated_at`` of these users, so the reconcile API lists them again."""
    pks = list(pks)
    if pks:
        get_user_model().objects.filter(pk__in=pks).update(updated_at=timezone.now())


def on_user_deleted(sender, instance, **kwargs) -> None:
    """Leave a tombstone of the account's ``sub``, so shops learn of the deletion by reconcile."""
    DeletedAccount.objects.update_or_create(
        sub=instance.sub, defaults={"deleted_at": timezone.now()}
    )


def on_user_groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Touch the users whose groups changed (the ``groups`` claim): the m2m has no updated_at.

    ``user.groups.add(...)`` names the user; ``group.user_set.add(...)`` names the users in
    ``pk_set``, and its ``clear()`` names nobody after the fact, so it is read before.
    """
    if not reverse and action in ("post_add", "post_remove", "post_clear"):
        _users_touch([instance.pk])
    elif reverse and action in ("post_add", "post_remove"):
        _users_touch(pk_set or ())
    elif reverse and action == "pre_clear":
        _users_touch(instance.user_set.values_list("pk", flat=True))


def on_group_changed(sender, instance: Group, created: bool = False, **kwargs) -> None:
    """Touch a group's members when it is renamed or deleted (no m2m_changed for either)."""
    if not created:
        _users_touch(instance.user_set.values_list("pk", flat=True))


def connect() -> None:
    """Connect the receivers; called once from AccountsConfig.ready()."""
    user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.user_logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="accounts.user_logged_out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="accounts.user_login_failed")
    user_model = get_user_model()
    post_delete.connect(on_user_deleted, sender=user_model, dispatch_uid="accounts.user_deleted")
    m2m_changed.connect(
        on_user_groups_changed,
        sender=user_model.groups.through,
        dispatch_uid="accounts.user_groups_changed",
    )
    post_save.connect(on_group_changed, sender=Group, dispatch_uid="accounts.group_saved")
    pre_delete.connect(on_group_changed, sender=Group, dispatch_uid="accounts.group_deleted")
