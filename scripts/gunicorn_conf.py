"""gunicorn settings of `scripts/entrypoint.sh PROJECT serve` (read with --config).

Logs: gunicorn's own lines (worker starts, timeouts) go through the same LOGGING as the
project's, one JSON object per line unless DEBUG or LOG_FORMAT=text; the per-request line is
the project's (stack_settings.observability.RequestIdMiddleware), with the request id, so
gunicorn's access log stays off. Metrics: a worker that exits leaves its counters in
PROMETHEUS_MULTIPROC_DIR, where scrapes keep adding them up; child_exit marks it dead so its
live gauges go (prometheus_client's multiprocess mode).
"""

import os

import environ
from gunicorn.glogging import Logger
from prometheus_client import multiprocess

from stack_settings.observability import log_format, logging_config

env = environ.Env()

_config = logging_config(
    log_format=log_format(env.str("LOG_FORMAT", default=""), debug=env.bool("DEBUG", False)),
    level=env.str("LOG_LEVEL", default="INFO"),
)
# Configuring gunicorn's loggers drops the handlers gunicorn gave them: their records reach
# the root handler once, formatted like every other line. Access lines (INFO) are dropped:
# the project's request line says the same, with the request id.
_config["loggers"] |= {
    "gunicorn.error": {"handlers": [], "propagate": True},
    "gunicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
}
logconfig_dict = _config


class ProjectLogger(Logger):
    """gunicorn's logger without its access line, which the project's request line replaces.

    With ``logconfig_dict`` set gunicorn builds every access line (its atoms, a formatted
    string), then the WARNING level above drops it: work on every request for nothing.
    """

    def _compute_access_log_enabled(self) -> bool:
        return False


logger_class = ProjectLogger


def child_exit(server, worker) -> None:
    """Mark an exited worker's metric files dead (their counters still count)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
