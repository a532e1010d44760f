"""Set-based SQL that fills the identity server's database: users, then expired tokens.

One INSERT ... SELECT generate_series per table, so a million rows take seconds, not the hours
the ORM would take row by row. Columns the bench does not care about get a neutral value
chosen from their type, read from information_schema, so a new NOT NULL column in a migration
does not break the load.
"""

from __future__ import annotations

from collections.abc import Mapping

# Neutral values for NOT NULL columns without a default, by information_schema data_type.
NEUTRAL = {
    "boolean": "false",
    "character varying": "''",
    "text": "''",
    "jsonb": "'[]'::jsonb",
    "json": "'[]'::json",
    "timestamp with time zone": "now()",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "uuid": "gen_random_uuid()",
}
BENCH_EMAIL = "bench-{}@example.com"


def email_of(index: int) -> str:
    """Return the address of bulk-loaded user number `index` (1-based)."""
    return BENCH_EMAIL.format(index)


def _required_columns(cursor, table: str) -> dict[str, str]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL"
        " AND is_identity = 'NO'",
        [table],
    )
    return dict(cursor.fetchall())


def insert_series(cursor, table: str, first: int, last: int, columns: Mapping[str, str]) -> int:
    """Insert one row per i in first..last into `table`, `columns` as SQL expressions of i.

    Every other NOT NULL column without a default gets its NEUTRAL value; the primary key
    `id` comes from its sequence. Return the number of rows inserted.
    """
    if last < first:
        return 0
    values = dict(columns)
    for name, data_type in _required_columns(cursor, table).items():
        if name != "id" and name not in values:
            if data_type not in NEUTRAL:
                raise ValueError(f"{table}.{name}: no neutral value for type {data_type}")
            values[name] = NEUTRAL[data_type]
    names = ", ".join(values)
    expressions = ", ".join(values.values())
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {expressions}"  # noqa: S608 (our own names)
        " FROM generate_series(%s, %s) AS i",
        [first, last],
    )
    return cursor.rowcount


def users_load(cursor, *, upto: int, password_hash: str) -> int:
    """Add bulk users bench-<i>@example.com until there are `upto` of them; return how many."""
    cursor.execute(
        "SELECT count(*) FROM accounts_user WHERE email LIKE %s", ["bench-%@example.com"]
    )
    have = cursor.fetchone()[0]
    return insert_series(
        cursor,
        "accounts_user",
        have + 1,
        upto,
        {
            "email": "'bench-' || i || '@example.com'",
            "password": cursor.mogrify("%s", [password_hash]).decode(),
            "sub": "gen_random_uuid()",
            "email_verified": "true",
            "is_active": "true",
            "given_name": "'Bench'",
            "family_name": "'User ' || i",
            "date_joined": "now()",
            "updated_at": "now()",
        },
    )


def expired_tokens_load(cursor, *, upto: int, application_id: int) -> int:
    """Add expired grants, ID, access and refresh tokens of bulk users up to `upto` each.

    They look like what a day of sign-ins leaves behind: expired, refresh tokens revoked.
    Return the number of rows added over the four tables.
    """
    cursor.execute("SELECT min(id), count(*) FROM accounts_user")
    first_user, users = cursor.fetchone()
    cursor.execute("SELECT count(*) FROM oauth2_provider_accesstoken WHERE scope = 'bench'")
    first = cursor.fetchone()[0] + 1
    user = f"{first_user} + mod(i, {users})"
    expired = "now() - interval '2 days'"
    common = {"user_id": user, "application_id": str(application_id), "created": expired}
    added = 0
    for table, columns in (
        (
            "oauth2_provider_grant",
            {
                "code": "'bench-code-' || i",
                "expires": expired,
                "redirect_uri": "'http://localhost/cb/'",
                "scope": "'bench'",
            },
        ),
        ("oauth2_provider_idtoken", {"jti": "gen_random_uuid()", "expires": expired}),
        (
            "oauth2_provider_accesstoken",
            {
                "token_checksum": "encode(sha256(convert_to('bench-at-' || i, 'UTF8')), 'hex')",
                "expires": expired,
                "scope": "'bench'",
            },
        ),
        (
            "oauth2_provider_refreshtoken",
            {
                "token_checksum": "encode(sha256(convert_to('bench-rt-' || i, 'UTF8')), 'hex')",
                "revoked": expired,
            },
        ),
    ):
        added += insert_series(cursor, table, first, upto, {**common, **columns})
    cursor.execute("ANALYZE")
    return added
