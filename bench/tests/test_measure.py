"""The bench's arithmetic: CPU from /proc stat lines, percentiles, medians, ratios, the table."""

import math
from pathlib import Path

from bench import measure

# A real /proc/<pid>/stat line, with a command name holding a space and a ")".
STAT = (
    "4242 (gunicorn: w) rk) S 4200 4200 4200 0 -1 4194560 5000 0 0 0 "
    "731 129 3 1 20 0 9 0 12345 300000000 30000 18446744073709551615"
)


def test_cpu_ticks_adds_utime_and_stime_past_a_tricky_command_name():
    assert measure.cpu_ticks(STAT) == 731 + 129
    assert measure.parent_pid(STAT) == 4200


def test_descendants_walks_children_of_children(tmp_path: Path):
    """A gunicorn master, its workers, and a grandchild; an unrelated process stays out."""
    for pid, parent in ((10, 1), (11, 10), (12, 10), (13, 12), (20, 1)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (p) S {parent} 0 0 0 0 0 0 0 0 0 5 6 0")
    (tmp_path / "self").mkdir()

    assert measure.descendants([10], proc=tmp_path) == {10, 11, 12, 13}
    assert measure.cpu_snapshot([10, 99], proc=tmp_path) == {10: 11}


def test_cpu_between_counts_newborn_processes_from_zero_and_loses_dead_ones():
    before = {1: 100, 2: 50, 3: 10}
    after = {1: 130, 2: 50, 4: 20}

    assert measure.cpu_ms_between(before, after) == (30 + 0 + 20) * 1000 / measure.CLOCK_TICKS


def test_rss_reads_vmrss_in_mib(tmp_path: Path):
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "status").write_text("Name:\tpython\nVmRSS:\t  153600 kB\nThreads:\t9\n")

    assert measure.rss_mib(7, proc=tmp_path) == 150.0
    assert measure.rss_mib(8, proc=tmp_path) is None


def test_percentiles_use_the_nearest_rank():
    samples = [float(n) for n in range(1, 21)]

    assert measure.percentile(samples, 0.5) == 10.0
    assert measure.percentile(samples, 0.95) == 19.0
    assert measure.percentile([3.0], 0.95) == 3.0
    assert math.isnan(measure.percentile([], 0.5))


def test_summary_takes_medians_and_ratios_to_the_surrounding_references():
    rounds = [
        {"cpu_ms": 10.0, "errors": 0, "ops_per_s": 5.0},
        {"cpu_ms": 30.0, "errors": 2, "ops_per_s": 7.0},
        {"cpu_ms": 12.0, "errors": 1, "ops_per_s": 6.0},
    ]
    references = [1.0, 3.0, 2.0, 4.0]  # round i sits between references i and i + 1

    summary = measure.summarize(rounds, references)

    assert summary["cpu_ms"] == 12.0
    assert summary["ops_per_s"] == 6.0
    assert summary["errors"] == 3
    # Ratios 10/2, 30/2.5, 12/3: their median.
    assert summary["cpu_ratio"] == 5.0


def test_ratio_to_a_zero_reference_is_not_a_number():
    assert math.isnan(measure.ratio(5.0, 0.0))


def test_table_has_one_row_per_scenario_and_size_with_dashes_for_the_unmeasured():
    results = {
        "1k": {"userinfo": {"cpu_ms": 2.5, "cpu_ratio": 3.0, "errors": 0}},
        "1M": {"userinfo": {"cpu_ms": 2.75, "cpu_ratio": float("nan"), "errors": 1}},
    }

    lines = measure.table_render(results).splitlines()

    assert lines[0].startswith("| scenario | users | ops/s |")
    assert len(lines) == 4
    assert lines[2] == "| userinfo | 1k | - | - | - | 0 | - | - | - | 2.50 | 3.0 |"
    assert lines[3] == "| userinfo | 1M | - | - | - | 1 | - | - | - | 2.75 | - |"


def test_size_labels_are_short():
    labels = [measure.size_label(n) for n in (5, 1000, 1134, 100_000, 1_000_000)]

    assert labels == ["5", "1k", "1.13k", "100k", "1M"]
