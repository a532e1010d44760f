"""The bench's instruments over a running stack: CPU, SQL counters and memory, per round.

``Bench`` samples the servers' processes and PostgreSQL backends before and after a round of
operations; ``scenario_run`` runs a scenario's rounds between runs of the reference;
``flows_memory`` watches the workers' memory over many sign-ins. Imported by ``bench.run``, which
puts the e2e support package on the path first.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from support.stack import PREFIXES, PostgresDatabases, Stack
from support.web import WebClient

from bench import measure
from bench.gunicorn_hooks import counters_read
from bench.scenarios import Scenario, Scenarios


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
