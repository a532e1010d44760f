"""A gunicorn config file for the bench: counts each worker's SQL statements and DB connections.

The bench names it in GUNICORN_CONFIG, which scripts/entrypoint.sh serve reads instead of
scripts/gunicorn_conf.py; it takes that file's settings (logging, the metrics' child_exit), so
the servers run exactly as deployed, plus this. Each worker owns a 16-byte file under
$BENCH_COUNTER_DIR, <project>-<pid>.bin, mapped in memory: two little-endian counters
(cursor executions, new connections) that the driver reads and sums at any time.
"""

from __future__ import annotations

import mmap
import os
import runpy
import struct
import threading
from pathlib import Path

COUNTERS = struct.Struct("<QQ")

# The settings every server runs with: the same logging and metrics hooks as deployed.
_deployed = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts/gunicorn_conf.py"))
logconfig_dict = _deployed["logconfig_dict"]
child_exit = _deployed["child_exit"]
logger_class = _deployed["logger_class"]


def post_fork(server: object, worker: object) -> None:
    """Count every statement and connection of this worker's Django connections."""
    directory = os.environ.get("BENCH_COUNTER_DIR")
    if not directory:
        return
    from django.db.backends.signals import connection_created

    path = Path(directory) / f"{Path.cwd().name}-{os.getpid()}.bin"
    path.write_bytes(bytes(COUNTERS.size))
    with path.open("r+b") as file:
        counters = mmap.mmap(file.fileno(), COUNTERS.size)
    lock = threading.Lock()

    def add(statements: int, connections: int) -> None:
        with lock:
            done, opened = COUNTERS.unpack_from(counters)
            COUNTERS.pack_into(counters, 0, done + statements, opened + connections)

    def count_statement(execute, sql, params, many, context):
        add(1, 0)
        return execute(sql, params, many, context)

    def count_connection(sender, connection, **kwargs) -> None:
        add(0, 1)
        if count_statement not in connection.execute_wrappers:
            connection.execute_wrappers.append(count_statement)

    connection_created.connect(count_connection, weak=False)


def counters_read(directory: Path) -> dict[str, tuple[int, int]]:
    """Return {project: (statements, connections)} summed over the workers' counter files."""
    totals: dict[str, tuple[int, int]] = {}
    for path in directory.glob("*.bin"):
        project = path.name.rsplit("-", 1)[0]
        statements, connections = COUNTERS.unpack(path.read_bytes()[: COUNTERS.size])
        old = totals.get(project, (0, 0))
        totals[project] = (old[0] + statements, old[1] + connections)
    return totals
