"""Profile changes that never lose a concurrent edit (optimistic concurrency)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_event_record
from events.services.outbox import user_claims_change_record

User = get_user_model()

PROFILE_FIELDS = ("given_name", "family_name", "nickname", "phone_number", "locale")
# The key of the avatar's stored file name in a snapshot of loaded values.
AVATAR = "avatar"


class ProfileEditConflict(Exception):
    """Another edit changed fields this one changes, since this one's form was loaded."""

    def __init__(self, fields: list[str], current: dict[str, str]) -> None:
        super().__init__(f"changed since the form was loaded: {', '.join(fields)}")
        self.fields = fields
        self.current = current


def profile_snapshot(*, user) -> dict[str, str]:
    """Return the profile values an edit form is loaded with (the avatar by file name)."""
    return {**{name: getattr(user, name) for name in PROFILE_FIELDS}, AVATAR: user.avatar.name}


def user_profile_update(
    *,
    user,
    data: dict[str, Any],
    avatar: UploadedFile | bool | None = None,
    loaded: dict[str, str] | None = None,
    actor=None,
    request: HttpRequest | None = None,
    notify: bool = True,
) -> list[str]:
    """Change profile fields (and the avatar); return the names of the fields that changed.

    ``data`` holds the fields to write, only those the user changed; the others are left as
    they are, so two edits of different fields both survive. ``avatar`` is an uploaded file
    to store, False to remove the picture, None to keep it. ``loaded`` is the snapshot
    (``profile_snapshot``) the user's form was loaded with: when another edit changed one of
    the fields to write since, nothing is written and ``ProfileEditConflict`` names them.
    The clients that see a changed claim get a token-claims-change event (``notify``: a
    caller that changes more in the same transaction records one event itself).
    """
    wanted = {name: value for name, value in data.items() if name in PROFILE_FIELDS}
    with transaction.atomic():
        # The row lock makes check-then-write atomic against a concurrent save.
        current = User.objects.select_for_update().get(pk=user.pk)
        snapshot = profile_snapshot(user=current)
        touched = [*wanted, *([AVATAR] if avatar is not None else [])]
        if loaded is not None:
            stale = [
                name
                for name in touched
                if name in loaded
                and snapshot[name] != loaded[name]
                and (name == AVATAR or snapshot[name] != wanted[name])
            ]
            if stale:
                raise ProfileEditConflict(stale, snapshot)
        changed = [name for name in wanted if snapshot[name] != wanted[name]]
        for name in changed:
            setattr(current, name, wanted[name])
        removed = None
        if avatar is False and current.avatar:
            removed = current.avatar.name
            current.avatar = ""
            changed.append(AVATAR)
        elif avatar:
            current.avatar = avatar
            changed.append(AVATAR)
        if not changed:
            return []
        current.save(update_fields=[*changed, "updated_at"])
        audit_event_record(
            kind=AuditEvent.Kind.PROFILE_CHANGED,
            actor=actor or user,
            subject_user=current,
            request=request,
            data={"fields": changed},
        )
        if notify:
            user_claims_change_record(user=current, fields=changed)
        if removed:
            storage = current.avatar.storage
            transaction.on_commit(lambda: storage.delete(removed))
    for name in (*changed, "updated_at"):
        setattr(user, name, getattr(current, name))
    return changed
