"""`make bench`: the whole stack on PostgreSQL under gunicorn, CPU per operation of each scenario.

    .venv/bin/python -m bench.run [--users 1000000] [--ops 40] [--rounds 3] [--flows 10000]

Starts the identity server and both shops as scripts/entrypoint.sh serve does (DEBUG off,
gunicorn, the settings' default DB_CONN_MAX_AGE unless set around it) on free 127.0.0.1 ports, with
throwaway databases on BENCH_POSTGRES_URL or TEST_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432) and a throwaway var dir; stops and drops them all at the end.
Each scenario runs `--rounds` rounds of `--ops` operations, each round between two runs of the
reference (the IdP's /readyz: one SELECT 1, a cache set and get); the table shows medians over
the rounds.
Writes bench/results/latest.json and prints a markdown table. Only reports: nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

import psycopg2  # noqa: E402
from support.stack import PREFIXES, PostgresDatabases, Stack, stack_create  # noqa: E402

from bench import measure  # noqa: E402
from bench.data import expired_tokens_load, users_load  # noqa: E402
from bench.instruments import Bench, flows_memory, scenario_run  # noqa: E402
from bench.scenarios import PASSWORD, Scenarios, Users  # noqa: E402

RESULTS = REPO / "bench" / "results" / "latest.json"
SMALL_USERS = 1000


def machine() -> dict[str, Any]:
    """Return what the numbers depend on: cores, CPU model, date, versions."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
    }


def stack_configure(stack: Stack, counter_dir: Path) -> None:
    """Production settings: DEBUG off, the SQL counters' hook; Redis for the shops as for the IdP.

    Persistent connections are whatever the settings default to (DB_CONN_MAX_AGE): the bench
    measures the tree as deployed, and reports what Django really runs with.
    """
    stack.env.pop("DEBUG", None)
    stack.env.update(
        GUNICORN_CONFIG=str(REPO / "bench" / "gunicorn_hooks.py"),
        BENCH_COUNTER_DIR=str(counter_dir),
    )
    # The shops share state through a cache too when Redis answers, one Redis database each.
    if "IDP_CACHE_URL" in stack.env:
        stack.env.update(
            SHOP_A_CACHE_URL="redis://127.0.0.1:6379/1", SHOP_B_CACHE_URL="redis://127.0.0.1:6379/2"
        )


def effective_settings(stack: Stack) -> dict[str, Any]:
    """Return the settings the servers really run with, as Django reports them."""
    found = {}
    for project in PREFIXES:
        out = stack.shell(
            project,
            "import json; from django.conf import settings; d = settings.DATABASES['default']; "
            "print(json.dumps({'DEBUG': settings.DEBUG, 'CONN_MAX_AGE': d.get('CONN_MAX_AGE'), "
            "'CONN_HEALTH_CHECKS': d.get('CONN_HEALTH_CHECKS'), "
            "'CACHE': settings.CACHES['default']['BACKEND'], "
            "'SESSION_ENGINE': settings.SESSION_ENGINE}))",
        )
        found[project] = json.loads(out.splitlines()[-1])
    found["gunicorn"] = {
        "workers": stack.env.get("WEB_WORKERS"),
        "threads": stack.env.get("WEB_THREADS"),
    }
    return found


def service_client(stack: Stack) -> tuple[str, str]:
    """Register a service client allowed users:read; return its id and secret."""
    out = stack.run(
        "identity_server", "manage", "oidc_client", "add", "--name", "bench-service",
        "--redirect-uri", "http://localhost/unused/", "--service-scope", "users:read",
    ).stdout  # fmt: skip
    client = json.loads(out[out.index("{") :])
    return client["client_id"], client["client_secret"]


def load(bench: Bench, *, users: int, password_hash: str) -> str:
    """Bring the IdP's database to `users` bulk users and as many expired tokens of each kind."""
    started = time.perf_counter()
    client_id, _ = bench.stack.client_credentials("SHOP_A")
    with bench.idp_connection() as connection, connection.cursor() as cursor:
        added = users_load(cursor, upto=users, password_hash=password_hash)
        cursor.execute(
            "SELECT id FROM oauth2_provider_application WHERE client_id = %s", [client_id]
        )
        tokens = expired_tokens_load(cursor, upto=users, application_id=cursor.fetchone()[0])
    connection.close()
    took = time.perf_counter() - started
    print(f"loaded {added} users and {tokens} expired grants/tokens in {took:.1f}s", flush=True)
    return f"{took:.1f}s"


@contextmanager
def running_stack(server_url: str, keep_logs: Path):
    """Yield a started Bench on throwaway databases; stop and drop everything at the end."""
    var_dir = Path(tempfile.mkdtemp(prefix="bench-var-"))
    counter_dir = var_dir / "counters"
    counter_dir.mkdir()
    databases = PostgresDatabases(server_url)
    stack = None
    try:
        stack = stack_create(var_dir=var_dir, log_dir=keep_logs, databases=databases)
        stack_configure(stack, counter_dir)
        stack.start()
        yield Bench(stack, databases, counter_dir)
    finally:
        if stack:
            stack.stop()
        databases.drop_all()
        shutil.rmtree(var_dir, ignore_errors=True)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=SMALL_USERS,
                        help=f"users (and expired tokens) of the large size; above {SMALL_USERS} "
                             "the table shows both sizes")  # fmt: skip
    parser.add_argument("--ops", type=int, default=40,
                        help="operations per round (x5 for single requests)")  # fmt: skip
    parser.add_argument("--reference-ops", type=int, default=200, help="reference requests per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="driver threads")
    parser.add_argument("--flows", type=int, default=0,
                        help="shop sign-ins after the scenarios; RSS at half and end")  # fmt: skip
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for name in ("users", "ops", "reference_ops", "rounds", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.flows < 0:
        parser.error("--flows must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench; print the table and write the JSON results. Return the exit status."""
    args = arguments(argv)
    server_url = (
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_POSTGRES_URL")
        or "postgres://postgres@127.0.0.1:5432"
    )
    names = Scenarios.names()
    wanted = [name for name in names if args.only.lower() in name.lower()]
    if not wanted:
        print(
            f"bench: no scenario matches --only {args.only!r} ({', '.join(names)})", file=sys.stderr
        )
        return 2
    try:
        psycopg2.connect(urlunsplit(urlsplit(server_url)._replace(path="/postgres"))).close()
    except psycopg2.OperationalError as error:
        print(
            f"bench: no PostgreSQL at {server_url} ({str(error).strip()}); "
            "set BENCH_POSTGRES_URL=postgres://user@host:port",
            file=sys.stderr,
        )
        return 2
    sizes = sorted({min(args.users, SMALL_USERS), args.users})
    # Each round signs in fresh users: the small size holds what one size's rounds need.
    needed = (args.rounds + 1) * (3 * args.ops + 20) + args.concurrency + 10
    results: dict[str, dict] = {}
    raw: dict[str, dict] = {}
    logs = REPO / "test-output" / "bench" / "logs"
    started = time.perf_counter()
    with running_stack(server_url, logs) as bench:
        settings = effective_settings(bench.stack)
        print(f"settings: {json.dumps(settings)}", flush=True)
        password_hash = bench.stack.shell(
            "identity_server",
            f"from django.contrib.auth.hashers import make_password; "
            f"print(make_password({PASSWORD!r}))",
        ).splitlines()[-1]
        scenarios = Scenarios(bench.stack, Users(), service_client(bench.stack))
        chosen = [s for s in scenarios.all() if s.name in wanted]
        load_times = {}
        for users in sizes:
            label = measure.size_label(max(users, needed))
            load_times[label] = load(bench, users=max(users, needed), password_hash=password_hash)
            print(f"{label} users:", flush=True)
            results[label], raw[label] = {}, {}
            for scenario in chosen:
                summary, rounds, references = scenario_run(
                    bench, scenario, scenarios.reference, args
                )
                results[label][scenario.name] = summary
                raw[label][scenario.name] = {"rounds": rounds, "references": references}
            reference_runs = [r for s in raw[label].values() for r in s["references"]]
            reference = measure.medians(reference_runs) | {"cpu_ratio": 1.0}
            results[label]["reference: /readyz (SELECT 1, cache)"] = reference
        memory = {"after_scenarios": bench.memory()}
        if args.flows:
            memory |= flows_memory(bench, scenarios, args.flows, args.concurrency)
    table = measure.table_render(results)
    report = {
        "machine": machine(),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "settings": settings,
        "load_times": load_times,
        "duration_s": round(time.perf_counter() - started),
        "what": {s.name: s.what for s in chosen},
        "results": results,
        "memory_rss_mib": memory,
        "raw": raw,
        "table": table,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n")
    info = report["machine"]
    print(
        f"\n{info['nproc']} cores, {info['cpu']}, {info['date']}; medians of {args.rounds} rounds"
    )
    print(table)
    print(f"\nworker RSS (MiB): {json.dumps(memory)}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
