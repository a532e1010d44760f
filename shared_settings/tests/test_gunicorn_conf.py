"""scripts/gunicorn_conf.py: gunicorn's own lines through the project's logging, no access line."""

import json
import runpy
from pathlib import Path

from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "scripts" / "gunicorn_conf.py"


def _logger():
    settings = runpy.run_path(str(CONF))
    config = Config()
    config.set("logconfig_dict", settings["logconfig_dict"])
    config.set("logger_class", settings["logger_class"])
    return config.logger_class(config)


def test_no_access_line_is_built(monkeypatch):
    """The project's request line says it all: gunicorn never formats its access line."""
    logger = _logger()
    built = []
    monkeypatch.setattr(logger, "atoms", lambda *args: built.append(args) or {})

    logger.access(resp=None, req=None, environ={}, request_time=None)

    assert logger.access_log_enabled is False
    assert built == []


def test_gunicorn_errors_are_still_logged_as_json_lines(capsys):
    logger = _logger()

    logger.error("worker timeout (pid:%s)", 42)

    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["logger"] == "gunicorn.error"
    assert line["message"] == "worker timeout (pid:42)"
