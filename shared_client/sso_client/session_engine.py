"""A session engine: Django's database sessions, written once per request.

``SESSION_ENGINE = "sso_client.session_engine"``: the shops' and the identity server's. The
rows, the cookie and the expiry are Django's ``django.contrib.sessions.backends.db``; four things
cost fewer statements:

- A new key is not looked up before its INSERT: the primary key refuses a duplicate, and a
  session whose key nothing has seen yet draws another, as after a lost race anyway.
- ``create()`` draws a key and writes nothing: the response's ``save()`` INSERTs the row with
  the request's data, where Django's wrote it empty, then UPDATEd it.
- ``cycle_key()``, which ``login()`` calls against session fixation, draws the new key at once
  but writes nothing: the next ``save()`` (the response's) INSERTs the data under the new key,
  then deletes the old row. Django's writes the row three times (INSERT, read and DELETE of
  the old one, UPDATE by the response).
- ``delete()`` is one DELETE, not a read and a DELETE.

And a single INSERT or UPDATE outside ``transaction.atomic`` is sent on its own, in autocommit
(one statement is atomic), not between a BEGIN and a COMMIT; inside ``atomic`` a savepoint still
keeps a failure from breaking the caller's transaction.
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBSessionStore
from django.db import DatabaseError, IntegrityError, router, transaction
from django.utils.crypto import get_random_string

SESSION_KEY_LENGTH = 32


class SessionStore(DBSessionStore):
    """Django's database session store, with the key cycle written by the next save()."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # After cycle_key(): the next save() INSERTs under the new key, then deletes the row
        # of the old key (None when the session had no row).
        self._must_create = False
        self._cycled_from: str | None = None

    def create(self) -> None:
        """Give the session a new key; the next ``save()`` INSERTs its row."""
        self._session_key = self._get_new_session_key()
        self._must_create = True
        self.modified = True

    async def acreate(self) -> None:
        """See create()."""
        self.create()

    def _get_new_session_key(self) -> str:
        # 32 of 36 characters: a clash is as likely as guessing a live key, and the INSERT's
        # primary key refuses it (save(must_create=True) raises CreateError).
        return get_random_string(SESSION_KEY_LENGTH, VALID_KEY_CHARS)

    def _cycle(self, data: dict[str, Any]) -> None:
        if not self._must_create:
            self._cycled_from = self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._must_create = True
        self.modified = True

    def cycle_key(self) -> None:
        """Give the session a new key, keeping its data; the old row goes at the next save()."""
        self._cycle(self._session)

    async def acycle_key(self) -> None:
        """See cycle_key()."""
        self._cycle(await self._aget_session())

    def save(self, must_create: bool = False) -> None:
        """Store the session; after cycle_key(), INSERT it under its new key, then drop the old row.

        A clash of the new key with a live one raises CreateError: the key may already be
        recorded elsewhere (an SSOSession row), so it is not silently replaced. A session
        without a key gets one from create(), which draws again on a clash (nothing has seen
        that key yet).
        """
        if self.session_key is None:
            while True:
                self.create()
                try:
                    self._write(must_create=True)
                except CreateError:
                    continue  # a key nothing has seen yet: draw again
                self._must_create = False
                return
        self._write(must_create=must_create or self._must_create)
        if self._must_create:
            old_key, self._must_create, self._cycled_from = self._cycled_from, False, None
            if old_key is not None:
                self._row_delete(old_key)

    async def asave(self, must_create: bool = False) -> None:
        """See save()."""
        await sync_to_async(self.save)(must_create)

    def _write(self, *, must_create: bool) -> None:
        """INSERT (must_create) or UPDATE the row, as Django's save() does, in one statement."""
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        try:
            if transaction.get_connection(using).in_atomic_block:
                with transaction.atomic(using=using):
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
            else:
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError as error:
            if must_create:
                raise CreateError from error
            raise
        except DatabaseError as error:
            if not must_create:
                raise UpdateError from error
            raise

    def delete(self, session_key: str | None = None) -> None:
        """Delete the row of `session_key` (this session's when None) in one statement.

        This session's rows include the one a cycle_key() has not replaced yet (flush() after
        login() in the same request); a key from create() or cycle_key() has no row until the
        next save(), so nothing is deleted for it.
        """
        if session_key is None:
            unwritten = self._must_create
            old_key, self._must_create, self._cycled_from = self._cycled_from, False, None
            if old_key is not None:
                self._row_delete(old_key)
            if self.session_key is None or unwritten:
                return
            session_key = self.session_key
        self._row_delete(session_key)

    async def adelete(self, session_key: str | None = None) -> None:
        """See delete()."""
        await sync_to_async(self.delete)(session_key)

    def _row_delete(self, session_key: str) -> None:
        self.model.objects.filter(session_key=session_key).delete()
