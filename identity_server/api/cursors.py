"""Opaque cursors of the reconcile API: a position in its (changed at, sub) order, signed.

The position is signed with the SECRET_KEY (django.core.signing, HMAC-SHA256), so a client
cannot forge or edit one to read from an arbitrary position it was never given; a new
SECRET_KEY turns every old cursor into a 400, and the client starts again from the beginning.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core import signing

CURSOR_SALT = "api.users.changes.cursor"
# A cursor is two short values and a signature: anything longer was not issued here.
CURSOR_MAX_LENGTH = 200


@dataclass(frozen=True, order=True)
class ChangePosition:
    """The last row a page held: when it changed and its sub, the keyset of the next page."""

    at: datetime
    sub: UUID


class CursorInvalid(ValueError):
    """A cursor this server did not issue, or that was tampered with."""


def cursor_encode(position: ChangePosition | None) -> str:
    """Return the cursor of ``position`` (None: the beginning, before every row)."""
    payload = [] if position is None else [position.at.isoformat(), str(position.sub)]
    return signing.dumps(payload, salt=CURSOR_SALT, compress=False)


def cursor_decode(cursor: str) -> ChangePosition | None:
    """Return the position a cursor holds (None: the beginning); raise CursorInvalid."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise CursorInvalid("too long")
    try:
        payload = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature as exc:
        raise CursorInvalid("bad signature") from exc
    if payload == []:
        return None
    try:
        at_text, sub_text = payload
        at = datetime.fromisoformat(at_text)
        sub = UUID(sub_text)
    except (TypeError, ValueError) as exc:  # only reachable with the SECRET_KEY: still a 400
        raise CursorInvalid("malformed") from exc
    if at.tzinfo is None:
        raise CursorInvalid("naive time")
    return ChangePosition(at=at, sub=sub)
