"""Services that deactivate, reactivate and anonymise a shadow when its identity says so.

The events receiver (account-disabled, account-enabled, account-purged) and `sso_sync` both
use them, so a shadow ends up the same whichever way the news arrived.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction

from sso_client.models import IdentityLink
from sso_client.sessions import sso_sessions_end

# The personal data a purged identity leaves behind on its shadow. The username is the opaque
# `sub` (or its digest), so it stays: orders and other rows keep pointing at the same user.
ANONYMISED_USER_FIELDS = ("email", "first_name", "last_name")

Changes = dict[str, tuple[Any, Any]]


def _user_has_field(user: AbstractBaseUser, name: str) -> bool:
    try:
        user._meta.get_field(name)
    except FieldDoesNotExist:  # a custom user model without first_name, email...
        return False
    return True


def shadow_status_changes(*, link: IdentityLink, active: bool, anonymise: bool) -> Changes:
    """Return what setting the shadow's status would change: {field: (old, new)}.

    Fields of the user by name, the link's picture as "picture". Nothing is saved, so
    `sso_sync --dry-run` can report it.
    """
    user = link.user
    wanted: dict[str, Any] = {"is_active": active}
    if anonymise:
        wanted.update({name: "" for name in ANONYMISED_USER_FIELDS})
    changes: Changes = {
        name: (getattr(user, name), value)
        for name, value in wanted.items()
        if _user_has_field(user, name) and getattr(user, name) != value
    }
    if anonymise and link.picture:
        changes["picture"] = (link.picture, "")
    return changes


def shadow_status_set(*, link: IdentityLink, active: bool, anonymise: bool = False) -> Changes:
    """Make the shadow of `link` active or not (and anonymised); return what changed.

    A shadow made inactive also loses its local sessions at once (sso_sessions_end by sub), as
    Django would refuse them only at their next request. Idempotent: a second call changes
    nothing and ends no session that has not started since.
    """
    changes = shadow_status_changes(link=link, active=active, anonymise=anonymise)
    with transaction.atomic():
        user_fields = [name for name in changes if name != "picture"]
        for name in user_fields:
            setattr(link.user, name, changes[name][1])
        if user_fields:
            link.user.save(update_fields=user_fields)
        if "picture" in changes:
            link.picture = ""
            link.save(update_fields=["picture", "updated"])
        if not active:
            sso_sessions_end(issuer=link.issuer, sid=None, sub=link.sub)
    return changes
