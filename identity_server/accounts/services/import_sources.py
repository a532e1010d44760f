"""Read shops' user tables for ``manage.py import_users``: read-only, in batches, cleaned.

Each source is registered as a second database, ``import_<name>``, for the length of a run.
Three layers keep it read-only: the database itself where it can (SQLite ``mode=ro``,
PostgreSQL ``default_transaction_read_only``), an execute wrapper on the connection that lets
nothing but SELECT through, and ``accounts.routers.ImportSourceRouter`` (no ORM write, no
migration).
"""

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import environ
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, identify_hasher
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connections
from django.db.utils import load_backend
from django.utils.dateparse import parse_datetime

from accounts.models import User
from accounts.routers import IMPORT_ALIAS_PREFIX, ReadOnlySourceError

# Our field -> the source column, for Django's auth_user. ``id`` is the key batches follow.
DEFAULT_COLUMNS = {
    "id": "id",
    "email": "email",
    "password": "password",
    "given_name": "first_name",
    "family_name": "last_name",
    "is_active": "is_active",
    "date_joined": "date_joined",
    "last_login": "last_login",
}
# The fields a later run compares with what it imported before (never last_login: shops
# update it at every sign-in, and it must not make a run overwrite the account).
DIGESTED_FIELDS = ("email", "password", "given_name", "family_name", "is_active", "date_joined")
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ImportSourceError(ValueError):
    """A source that cannot be read as asked (bad URL, map, table or column)."""


@dataclass(frozen=True)
class Source:
    """One shop database to import from, under a stable name."""

    name: str
    url: str
    table: str = "auth_user"
    columns: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))

    @property
    def alias(self) -> str:
        """Return the database alias the source is read through."""
        return f"{IMPORT_ALIAS_PREFIX}{self.name}"


@dataclass(slots=True)
class SourceRow:
    """One cleaned row: the values an account takes, or why the row is skipped."""

    source: str
    source_user_id: str
    email: str = ""
    password: str = ""
    given_name: str = ""
    family_name: str = ""
    is_active: bool = True
    date_joined: dt.datetime = EPOCH
    last_login: dt.datetime | None = None
    skip_reason: str = ""
    password_reset_reason: str = ""
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def activity(self) -> dt.datetime:
        """Return when the customer was last seen: last sign-in, else joining."""
        return self.last_login or self.date_joined


def import_sources_parse(
    *, urls: list[str], table: str = "auth_user", mapping: list[str] | None = None
) -> list[Source]:
    """Build the sources from ``[NAME=]DATABASE_URL`` values and ``field=column`` overrides.

    Unnamed sources are called a, b, c... in order. The name is what a later run recognises
    a source by, so it must stay the same from run to run.
    """
    columns = dict(DEFAULT_COLUMNS)
    for item in mapping or []:
        target, _, column = item.partition("=")
        if target not in DEFAULT_COLUMNS:
            raise ImportSourceError(f"--map {item}: unknown field (one of {', '.join(columns)}).")
        if not IDENTIFIER.match(column):
            raise ImportSourceError(f"--map {item}: not a column name.")
        columns[target] = column
    if not IDENTIFIER.match(table):
        raise ImportSourceError(f"--table {table}: not a table name.")
    sources = []
    for index, value in enumerate(urls):
        named = re.match(r"^([A-Za-z][\w-]*)=(.+)$", value)
        name, url = (named.group(1), named.group(2)) if named else (chr(ord("a") + index), value)
        if not SOURCE_NAME.match(name):
            raise ImportSourceError(f"{name}: a source name is lower-case letters, digits, _.")
        if name in {source.name for source in sources}:
            raise ImportSourceError(f"{name}: two sources with the same name.")
        sources.append(Source(name=name, url=url, table=table, columns=dict(columns)))
    if not sources:
        raise ImportSourceError("At least one --source-url is required.")
    return sources


def _read_only_settings(url: str) -> dict[str, Any]:
    """Return a DATABASES entry for ``url`` that the database itself keeps read-only."""
    try:
        config = environ.Env.db_url_config(url)
    except Exception as error:  # django-environ raises several types for bad URLs
        raise ImportSourceError(f"Not a database URL: {error}") from None
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        path = Path(config["NAME"])
        if not path.is_file():
            raise ImportSourceError(f"{path}: no such SQLite file.")
        # Django opens SQLite with uri=True: mode=ro makes SQLite refuse every write.
        config["NAME"] = f"file:{path.resolve()}?mode=ro"
        config["OPTIONS"] = {"timeout": 20}
    elif engine.startswith("django.db.backends.postgresql"):
        config.setdefault("OPTIONS", {})["options"] = "-c default_transaction_read_only=on"
    return config


def _select_only(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    """Execute wrapper: let SELECT statements through and refuse everything else."""
    if not sql.lstrip().upper().startswith("SELECT"):
        raise ReadOnlySourceError(f"{context['connection'].alias} is a read-only import source.")
    return execute(sql, params, many, context)


@contextmanager
def import_sources_connected(*, sources: list[Source]) -> Iterator[None]:
    """Register each source as a read-only database alias for the block, then remove it."""
    opened: list[str] = []
    try:
        for source in sources:
            # configure_settings fills in Django's defaults; it insists on a "default" entry.
            config = connections.configure_settings(
                {"default": {"ENGINE": "unused"}, source.alias: _read_only_settings(source.url)}
            )[source.alias]
            # A connection of our own under the alias, not an entry of settings.DATABASES:
            # connections.all() (request cleanup, system checks) never sees it.
            connection = load_backend(config["ENGINE"]).DatabaseWrapper(config, source.alias)
            connection.execute_wrappers.append(_select_only)
            connections[source.alias] = connection
            opened.append(source.alias)
        for source in sources:
            _columns_check(source=source)
        yield
    finally:
        for alias in opened:
            connections[alias].close()
            del connections[alias]


def _select_sql(source: Source, *, after: bool) -> str:
    """Return the SELECT of one batch: the mapped columns by id, from the start or after one."""
    quote = connections[source.alias].ops.quote_name
    table = ".".join(quote(part) for part in source.table.split("."))
    columns = ", ".join(quote(source.columns[name]) for name in DEFAULT_COLUMNS)
    key = quote(source.columns["id"])
    where = f"WHERE {key} > %s " if after else ""
    return f"SELECT {columns} FROM {table} {where}ORDER BY {key} LIMIT %s"  # noqa: S608


def _columns_check(*, source: Source) -> None:
    """Fail early, naming the source, when its table or a mapped column does not exist.

    Selecting the columns is not enough: SQLite reads a double-quoted unknown column as a
    string literal, so a typo in --map would import that text for every row.
    """
    quote = connections[source.alias].ops.quote_name
    table = ".".join(quote(part) for part in source.table.split("."))
    try:
        with connections[source.alias].cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")  # noqa: S608 (checked identifier)
            present = {column[0].casefold() for column in cursor.description}
    except DatabaseError as error:
        raise ImportSourceError(f"Source {source.name}: {error}".strip()) from None
    missing = [column for column in source.columns.values() if column.casefold() not in present]
    if missing:
        raise ImportSourceError(
            f"Source {source.name}: no such column in {source.table}: {', '.join(missing)}."
        )


def import_source_count(*, source: Source) -> int:
    """Return how many rows the source's table holds."""
    quote = connections[source.alias].ops.quote_name
    table = ".".join(quote(part) for part in source.table.split("."))
    with connections[source.alias].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (checked identifiers)
        return cursor.fetchone()[0]


def import_source_batches(*, source: Source, batch_size: int) -> Iterator[list[tuple]]:
    """Yield the source's raw rows (DEFAULT_COLUMNS' order), ``batch_size`` at a time by id.

    Callers clean only the rows they need (source_row_clean): cleaning is most of the cost.

    Keyset pagination (``id > last``) keeps one batch in memory and holds no cursor or
    transaction open on the shop's database between batches.
    """
    first, after = _select_sql(source, after=False), _select_sql(source, after=True)
    last: Any = None
    while True:
        with connections[source.alias].cursor() as cursor:
            if last is None:
                cursor.execute(first, [batch_size])
            else:
                cursor.execute(after, [last, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def _aware(value: Any) -> dt.datetime | None:
    """Return a source datetime as an aware UTC datetime (SQLite gives naive UTC or text)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
        if value is None:
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _digest(value: Any) -> str:
    """Return a short digest of a value: enough to notice a change, useless to anyone else."""
    return hashlib.blake2b(str(value).encode(), digest_size=8).hexdigest()


def _password_clean(encoded: Any) -> tuple[str, str]:
    """Return (the hash to store, "" or why the user must reset their password)."""
    encoded = encoded or ""
    if not encoded or encoded.startswith(UNUSABLE_PASSWORD_PREFIX):
        return "", "no usable password at the source"
    try:
        identify_hasher(encoded)
    except ValueError:
        algorithm = encoded.split("$", 1)[0] if "$" in encoded else "unknown"
        return "", f"password hash algorithm {algorithm[:30]!r} is not supported"
    return encoded, ""


def source_row_clean(*, source: str, raw: tuple, planned: bool = False) -> SourceRow:
    """Turn one raw row into the values an account takes, or a row to skip with a reason.

    ``planned`` rows passed the checks in the run's first pass: they are not checked again
    (validating the email is a third of the cost of a row). Their digests are filled in.
    """
    values = dict(zip(DEFAULT_COLUMNS, raw, strict=True))
    row = SourceRow(source=source, source_user_id=str(values["id"]))
    row.email = User.normalize_email_address(str(values["email"] or ""))
    if not planned and not row.email:
        row.skip_reason = "no email address"
        return row
    try:
        if not planned:
            validate_email(row.email)
    except ValidationError:
        row.skip_reason = "invalid email address"
        return row
    if not planned and len(row.email) > 254:
        row.skip_reason = "email address longer than 254 characters"
        return row
    row.password, row.password_reset_reason = _password_clean(values["password"])
    row.given_name = str(values["given_name"] or "").strip()[:150]
    row.family_name = str(values["family_name"] or "").strip()[:150]
    row.is_active = bool(values["is_active"]) if values["is_active"] is not None else True
    row.date_joined = _aware(values["date_joined"]) or EPOCH
    row.last_login = _aware(values["last_login"])
    if planned:
        row.digests = {name: _digest(getattr(row, name)) for name in DIGESTED_FIELDS}
    return row
