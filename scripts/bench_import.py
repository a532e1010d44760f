"""Benchmark ``manage.py import_users``: rows per second importing N generated shop customers.

Run from the repository root: ``.venv/bin/python scripts/bench_import.py [--users N] [--runs 3]``.
The source (a Django auth_user table) and the identity server's database are throwaway
databases: PostgreSQL when BENCH_POSTGRES_URL or TEST_POSTGRES_URL names a server (e.g.
postgres://postgres@127.0.0.1:5432), else SQLite files in a temporary folder. Each run imports
into an empty identity server; the script prints each run, the median, and the time of one
more run over the same data (every row unchanged). No timing is asserted: this only reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
IDP_DIR = REPO_DIR / "identity_server"

AUTH_USER_SQL = """
CREATE TABLE auth_user (
    id {id_type} PRIMARY KEY,
    password varchar(128) NOT NULL,
    last_login {datetime} NULL,
    is_superuser boolean NOT NULL,
    username varchar(150) NOT NULL UNIQUE,
    last_name varchar(150) NOT NULL,
    email varchar(254) NOT NULL,
    is_staff boolean NOT NULL,
    is_active boolean NOT NULL,
    date_joined {datetime} NOT NULL,
    first_name varchar(150) NOT NULL
)
"""


def rows(count: int) -> Iterator[tuple]:
    """Yield ``count`` auth_user rows with a few distinct cheap PBKDF2 hashes."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    hashes = [hasher.encode(f"pw{i}", hasher.salt(), iterations=1000) for i in range(16)]
    joined = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for i in range(1, count + 1):
        stamp = joined + dt.timedelta(seconds=i)
        yield (
            i, hashes[i % 16], stamp, False, f"user{i}", "Customer", f"User{i}@Example.com",
            False, True, stamp, f"Given{i}",
        )  # fmt: skip


@contextmanager
def postgres_databases(server_url: str) -> Iterator[tuple[str, str]]:
    """Create two throwaway PostgreSQL databases; yield their URLs (source, identity server)."""
    import psycopg2

    parts = urlsplit(server_url)
    tag = secrets.token_hex(4)
    names = (f"bench_import_src_{tag}", f"bench_import_idp_{tag}")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f"CREATE DATABASE {name}")
        yield tuple(urlunsplit(parts._replace(path=f"/{name}")) for name in names)
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def source_fill(url: str, count: int) -> None:
    """Create auth_user in the source database and insert ``count`` rows."""
    if url.startswith("sqlite"):
        with sqlite3.connect(urlsplit(url).path) as connection:
            connection.execute(AUTH_USER_SQL.format(id_type="integer", datetime="datetime"))
            connection.executemany(
                "INSERT INTO auth_user VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        *row[:2],
                        row[2].replace(tzinfo=None).isoformat(" "),
                        *row[3:9],
                        row[9].replace(tzinfo=None).isoformat(" "),
                        row[10],
                    )
                    for row in rows(count)
                ],
            )
        connection.close()
        return
    import psycopg2
    from psycopg2.extras import execute_values

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(AUTH_USER_SQL.format(id_type="integer", datetime="timestamptz"))
        execute_values(cursor, "INSERT INTO auth_user VALUES %s", rows(count), page_size=5000)
    connection.close()


def idp_empty() -> None:
    """Delete every account, link and audit event, fast (raw SQL, no ORM cascade)."""
    from django.db import connection

    tables = ["audit_auditevent", "accounts_importedaccount", "accounts_user"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)


def bench(source_url: str, idp_url: str, users: int, runs: int) -> None:
    """Set up Django on the identity server database, fill the source, time the imports."""
    os.environ["DATABASE_URL"] = idp_url
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.services.import_sources import import_sources_parse
    from accounts.services.user_import import users_import

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    source_fill(source_url, users)
    print(f"source: {users} users generated in {time.perf_counter() - started:.1f}s")
    sources = import_sources_parse(urls=[f"shop={source_url}"])
    rates = []
    for run in range(1, runs + 1):
        idp_empty()
        started = time.perf_counter()
        report = users_import(sources=sources)
        elapsed = time.perf_counter() - started
        assert report.counts["created"] == users, report.counts
        rates.append(users / elapsed)
        print(f"run {run}: {elapsed:.2f}s, {users / elapsed:,.0f} rows/s")
    started = time.perf_counter()
    report = users_import(sources=sources)
    elapsed = time.perf_counter() - started
    assert report.counts["unchanged"] == users, report.counts
    print(f"re-run, all unchanged: {elapsed:.2f}s, {users / elapsed:,.0f} rows/s")
    print(f"median of {runs}: {statistics.median(rates):,.0f} rows/s ({users} users)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(IDP_DIR))
    var_dir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench-only",  # noqa: S106
        VAR_DIR=str(var_dir),
        OIDC_RSA_PRIVATE_KEY_FILE=str(IDP_DIR / "oidc/tests/keys/signing.pem"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    server = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    try:
        if server:
            with postgres_databases(server) as (source_url, idp_url):
                print(f"PostgreSQL at {urlsplit(server).hostname}:{urlsplit(server).port}")
                bench(source_url, idp_url, args.users, args.runs)
        else:
            print("SQLite (set BENCH_POSTGRES_URL for PostgreSQL)")
            source = var_dir / "source.sqlite3"
            bench(
                f"sqlite:///{source}", f"sqlite:///{var_dir / 'idp.sqlite3'}", args.users, args.runs
            )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
