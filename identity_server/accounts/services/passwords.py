"""Setting a password: by its owner, by a reset link, or by an admin."""

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc import constants
from oidc.services.sessions import idp_sessions_end_for_user


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
