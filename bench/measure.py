"""The arithmetic of `make bench`: CPU from /proc, medians, ratios, the markdown table.

Nothing here talks to a server, so it is unit-tested (bench/tests/).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(line: str) -> list[str]:
    """Return the fields of a /proc/<pid>/stat line from field 3 (state) on.

    The command name (field 2) sits in parentheses and may hold spaces and ")": split after
    the last ")" (proc(5)).
    """
    return line[line.rindex(")") + 2 :].split()


def cpu_ticks(line: str) -> int:
    """Return utime + stime (fields 14 and 15, in clock ticks) of a /proc/<pid>/stat line."""
    fields = stat_fields(line)
    return int(fields[11]) + int(fields[12])


def parent_pid(line: str) -> int:
    """Return the parent pid (field 4) of a /proc/<pid>/stat line."""
    return int(stat_fields(line)[1])


def _read_stat(pid: int, proc: Path = PROC) -> str | None:
    try:
        return (proc / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None


def descendants(roots: Iterable[int], proc: Path = PROC) -> set[int]:
    """Return the pids of `roots` and of every process below them (gunicorn master and workers)."""
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit() and (line := _read_stat(int(entry.name), proc)):
            parents[int(entry.name)] = parent_pid(line)
    found = {pid for pid in roots if pid in parents}
    while True:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        if not more:
            return found
        found |= more


def cpu_snapshot(pids: Iterable[int], proc: Path = PROC) -> dict[int, int]:
    """Return {pid: utime + stime in ticks} of the processes still alive."""
    snapshot = {}
    for pid in pids:
        if (line := _read_stat(pid, proc)) is not None:
            snapshot[pid] = cpu_ticks(line)
    return snapshot


def cpu_ms_between(before: Mapping[int, int], after: Mapping[int, int]) -> float:
    """Return the CPU milliseconds the processes used between two snapshots.

    A process born in between counts from zero; one that died in between is lost (its CPU
    went to its parent's cutime), which is why the bench wants persistent connections.
    """
    ticks = sum(used - before.get(pid, 0) for pid, used in after.items())
    return ticks * 1000 / CLOCK_TICKS


def rss_mib(pid: int, proc: Path = PROC) -> float | None:
    """Return the resident set size of a process in MiB (VmRSS of /proc/<pid>/status)."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except FileNotFoundError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Return the `fraction` percentile of samples (nearest rank; 0.5 is the median's rank)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Iterable[float]) -> float:
    """Return the median of values, NaN when there are none."""
    values = list(values)
    return statistics.median(values) if values else float("nan")


def ratio(value: float, reference: float) -> float:
    """Return value / reference, NaN when the reference is zero (nothing measured)."""
    return value / reference if reference else float("nan")


def medians(rounds: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Return the median of each metric over the rounds; errors are added up, not medians."""
    keys = rounds[0].keys() if rounds else ()
    summary = {key: median(r[key] for r in rounds) for key in keys}
    if "errors" in summary:
        summary["errors"] = sum(r["errors"] for r in rounds)
    return summary


def summarize(rounds: Sequence[Mapping[str, float]], references: Sequence[float]) -> dict:
    """Return the medians of a scenario's rounds, and its CPU per operation over the reference.

    `rounds` hold per-round metrics; `references[i]` and `references[i + 1]` are the reference's
    CPU ms per operation measured just before and after round i. Each round's ratio uses the
    mean of its two references, and the median of those ratios is reported.
    """
    summary = medians(rounds)
    summary["cpu_ratio"] = median(
        ratio(r["cpu_ms"], (references[i] + references[i + 1]) / 2) for i, r in enumerate(rounds)
    )
    return summary


def size_label(users: int) -> str:
    """Return "1k", "1.2k", "1M"... for a number of users."""
    for unit, size in (("M", 1_000_000), ("k", 1000)):
        if users >= size:
            return f"{users / size:.3g}{unit}"
    return str(users)


COLUMNS = (
    ("ops_per_s", "ops/s", "{:.1f}"),
    ("p50_ms", "p50 ms", "{:.1f}"),
    ("p95_ms", "p95 ms", "{:.1f}"),
    ("errors", "errors", "{:.0f}"),
    ("sql_idp", "SQL/op IdP", "{:.1f}"),
    ("sql_shops", "SQL/op shops", "{:.1f}"),
    ("connections", "new DB conn/op", "{:.2f}"),
    ("cpu_ms", "CPU ms/op", "{:.2f}"),
    ("cpu_ratio", "x reference", "{:.1f}"),
)


def _cell(value: float | None, template: str) -> str:
    if value is None or value != value:  # NaN
        return "-"
    return template.format(value)


def table_render(results: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """Return a markdown table: one row per scenario and size, the COLUMNS as columns.

    `results` maps a size label ("1k users") to {scenario: summary}.
    """
    header = ["scenario", "users", *(title for _, title, _ in COLUMNS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    scenarios = list(dict.fromkeys(name for size in results.values() for name in size))
    for name in scenarios:
        for size, summaries in results.items():
            if name not in summaries:
                continue
            row = summaries[name]
            cells = [_cell(row.get(key), template) for key, _, template in COLUMNS]
            lines.append("| " + " | ".join([name, size, *cells]) + " |")
    return "\n".join(lines)
