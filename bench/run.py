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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

import psycopg2  # noqa: E402
from support.stack import PREFIXES, PostgresDatabases, Stack, stack_create  # noqa: E402
from support.web import WebClient  # noqa: E402

from bench import measure  # noqa: E402
from bench.data import expired_tokens_load, users_load  # noqa: E402
from bench.gunicorn_hooks import counters_read  # noqa: E402
from bench.scenarios import PASSWORD, Scenario, Scenarios, Users  # noqa: E402

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


class Bench:
    """A running stack with its measuring instruments: process CPU, SQL counters, rounds."""

    def __init__(self, stack: Stack, databases: PostgresDatabases, counter_dir: Path) -> None:
        self.stack = stack
        self.databases = databases
        self.counter_dir = counter_dir
        parts = urlsplit(databases.server_url)
        self.monitor = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
        self.monitor.autocommit = True

    def idp_connection(self):
        """Return a connection to the identity server's database (autocommit)."""
        connection = psycopg2.connect(self.stack.env[f"{PREFIXES['identity_server']}_DATABASE_URL"])
        connection.autocommit = True
        return connection

    def server_pids(self) -> set[int]:
        return measure.descendants(process.pid for process in self.stack.processes.values())

    def backend_pids(self) -> set[int]:
        with self.monitor.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)"
                " AND pid <> pg_backend_pid()",
                [self.databases.names],
            )
            return {pid for (pid,) in cursor.fetchall()}

    def sample(self) -> dict[str, Any]:
        servers, backends = self.server_pids(), self.backend_pids()
        return {
            "time": time.perf_counter(),
            "servers": measure.cpu_snapshot(servers),
            "backends": measure.cpu_snapshot(backends),
            "counters": counters_read(self.counter_dir),
        }

    def round(
        self, operation: Callable[[Any], None], states: Sequence[Any], concurrency: int
    ) -> dict[str, float]:
        """Run `operation` over `states` with `concurrency` threads; return per-op metrics."""
        latencies: list[float] = []
        errors: list[str] = []

        def timed(state: Any) -> None:
            started = time.perf_counter()
            try:
                operation(state)
            except Exception as error:  # every failure is an error to count
                errors.append(f"{type(error).__name__}: {error}"[:300])
            latencies.append(time.perf_counter() - started)

        before = self.sample()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(timed, states))
        after = self.sample()
        count = len(states)
        if errors:
            print(f"    {len(errors)} errors, first: {errors[0]}", file=sys.stderr)

        def sql(projects: Sequence[str], index: int) -> float:
            return sum(
                after["counters"].get(p, (0, 0))[index] - before["counters"].get(p, (0, 0))[index]
                for p in projects
            )

        servers = measure.cpu_ms_between(before["servers"], after["servers"])
        backends = measure.cpu_ms_between(before["backends"], after["backends"])
        everyone = ("identity_server", "project_a", "project_b")
        return {
            "ops_per_s": count / (after["time"] - before["time"]),
            "p50_ms": measure.percentile(latencies, 0.50) * 1000,
            "p95_ms": measure.percentile(latencies, 0.95) * 1000,
            "errors": len(errors),
            "sql_idp": sql(["identity_server"], 0) / count,
            "sql_shops": sql(["project_a", "project_b"], 0) / count,
            "connections": sql(everyone, 1) / count,
            "cpu_ms": (servers + backends) / count,
            "cpu_servers_ms": servers / count,
            "cpu_db_ms": backends / count,
        }

    def memory(self) -> dict[str, list[float]]:
        """Return the RSS in MiB of each gunicorn worker (not the master), per project."""
        report = {}
        for project, process in self.stack.processes.items():
            workers = measure.descendants([process.pid]) - {process.pid}
            report[project] = sorted(
                round(rss, 1) for pid in workers if (rss := measure.rss_mib(pid)) is not None
            )
        return report


def scenario_run(
    bench: Bench, scenario: Scenario, reference: Callable[[Any], None], args: argparse.Namespace
) -> tuple[dict, list[dict], list[float]]:
    """Run a scenario's rounds, each between two reference runs; return summary and raw data."""
    # Unmeasured: each worker thread opens its connection and imports what the path needs.
    bench.round(scenario.operation, scenario.prepare(2 * args.concurrency), args.concurrency)
    references = [bench.round(reference, [None] * args.reference_ops, args.concurrency)]
    rounds = []
    for _ in range(args.rounds):
        states = scenario.prepare(args.ops * scenario.weight)
        rounds.append(bench.round(scenario.operation, states, args.concurrency))
        references.append(bench.round(reference, [None] * args.reference_ops, args.concurrency))
    reference_cpu = [r["cpu_ms"] for r in references]
    summary = measure.summarize(rounds, reference_cpu)
    print(
        f"  {scenario.name}: {summary['cpu_ms']:.2f} CPU ms/op "
        f"(x{summary['cpu_ratio']:.1f} the reference), {summary['ops_per_s']:.1f}/s, "
        f"{summary['sql_idp']:.1f}+{summary['sql_shops']:.1f} SQL/op, "
        f"{summary['errors']:.0f} errors",
        flush=True,
    )
    return summary, rounds, references


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


def flows_memory(bench: Bench, scenarios: Scenarios, flows: int, concurrency: int) -> dict:
    """Run `flows` sign-ins at shop A; return the workers' RSS at the half and at the end.

    Each driver thread keeps its own browser: one browser never runs two flows at once.
    """
    browsers = [scenarios.signed_in_at_shop_a() for _ in range(concurrency)]

    def failures(browser: WebClient, count: int) -> int:
        failed = 0
        for _ in range(count):
            try:
                scenarios.flow(browser)
            except Exception:  # every failure is an error to count
                failed += 1
        return failed

    report: dict[str, Any] = {"flow_errors": 0}
    done = 0
    for step in (flows // 2, flows - flows // 2):
        shares = [step // concurrency + (i < step % concurrency) for i in range(concurrency)]
        with ThreadPoolExecutor(concurrency) as pool:
            report["flow_errors"] += sum(pool.map(failures, browsers, shares))
        done += step
        report[f"after_{done}_flows"] = bench.memory()
    return report


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
