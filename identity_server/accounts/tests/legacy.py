"""A shop's legacy user table for the import tests: Django's auth_user schema in a SQLite file."""

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BCryptSHA256PasswordHasher,
    MD5PasswordHasher,
    PBKDF2PasswordHasher,
    PBKDF2SHA1PasswordHasher,
    ScryptPasswordHasher,
    make_password,
)

from config import settings as project_settings

# The identity server's own list (conftest.py swaps in MD5 for speed): imported hashes need it.
REAL_HASHERS = project_settings.PASSWORD_HASHERS

# Django's auth_user as `migrate` creates it on SQLite.
AUTH_USER_SQL = """
CREATE TABLE "auth_user" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "password" varchar(128) NOT NULL,
    "last_login" datetime NULL,
    "is_superuser" bool NOT NULL,
    "username" varchar(150) NOT NULL UNIQUE,
    "last_name" varchar(150) NOT NULL,
    "email" varchar(254) NOT NULL,
    "is_staff" bool NOT NULL,
    "is_active" bool NOT NULL,
    "date_joined" datetime NOT NULL,
    "first_name" varchar(150) NOT NULL
)
"""
JOINED = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def legacy_hash(password: str, algorithm: str) -> str:
    """Return a hash made by Django's own hasher, at a low cost so the tests stay fast."""
    if algorithm == "pbkdf2_sha256":
        hasher = PBKDF2PasswordHasher()
        return hasher.encode(password, hasher.salt(), iterations=1000)
    if algorithm == "pbkdf2_sha1":
        hasher = PBKDF2SHA1PasswordHasher()
        return hasher.encode(password, hasher.salt(), iterations=1000)
    if algorithm == "argon2":
        hasher = Argon2PasswordHasher()
        hasher.time_cost, hasher.memory_cost = 1, 1024
        return hasher.encode(password, hasher.salt())
    if algorithm == "bcrypt_sha256":
        hasher = BCryptSHA256PasswordHasher()
        hasher.rounds = 4
        return hasher.encode(password, hasher.salt())
    if algorithm == "scrypt":
        hasher = ScryptPasswordHasher()
        return hasher.encode(password, hasher.salt(), n=2**10)
    if algorithm == "md5":
        hasher = MD5PasswordHasher()
        return hasher.encode(password, hasher.salt())
    if algorithm == "unusable":
        return make_password(None)
    raise ValueError(algorithm)


def legacy_user(
    user_id: int,
    email: str,
    password: str,
    *,
    first_name: str = "",
    last_name: str = "",
    is_active: bool = True,
    date_joined: dt.datetime = JOINED,
    last_login: dt.datetime | None = None,
) -> dict[str, Any]:
    """Return one auth_user row; ``password`` is an encoded hash."""
    return {
        "id": user_id,
        "password": password,
        "last_login": last_login,
        "is_superuser": False,
        "username": f"user{user_id}",
        "last_name": last_name,
        "email": email,
        "is_staff": False,
        "is_active": is_active,
        "date_joined": date_joined,
        "first_name": first_name,
    }


def _sqlite_value(value: Any) -> Any:
    """Store datetimes the way Django does on SQLite: naive UTC text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def legacy_database(path: Path, rows: list[dict[str, Any]], sql: str = AUTH_USER_SQL) -> Path:
    """Create a SQLite file holding ``rows`` in a table created by ``sql``; return its path."""
    with sqlite3.connect(path) as connection:
        connection.execute(sql)
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            table = sql.split('"')[1]
            connection.execute(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks})',  # noqa: S608 (test data)
                [_sqlite_value(value) for value in row.values()],
            )
    connection.close()
    return path


def legacy_update(path: Path, sql: str, params: list[Any]) -> None:
    """Change the legacy database the way the shop would (outside the import)."""
    with sqlite3.connect(path) as connection:
        connection.execute(sql, params)
    connection.close()


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
