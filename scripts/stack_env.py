"""The environment one project of the stack runs with, from the real environment and env files.

Precedence, first wins: the real environment (a variable set there counts even when empty), then
the repository's `.env` (lines with an empty value count as absent, so a copy of `.env.example`
changes nothing), then `$VAR_DIR/dev.env`, the dev secrets scripts/bootstrap.py generates, then
the built-in defaults. `ENV_FILE` names another file to read instead of `.env`; `ENV_FILE=` (set
empty) reads none, as the end-to-end tests do.

scripts/entrypoint.sh evaluates `stack_env.py PROJECT` (shell `export` lines), and
identity_server/manage.py calls `project_environ()`, so that a management command run directly
sees the same settings as the servers `make run` starts.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from bootstrap import read_env_file

REPO = Path(__file__).resolve().parent.parent
# The stack-wide prefix of each project's variables, and its default port.
PROJECTS = {
    "identity_server": ("IDP", 8000),
    "project_a": ("SHOP_A", 8001),
    "project_b": ("SHOP_B", 8002),
}
# Stack-wide names (<PREFIX>_DATABASE_URL) that become the project's own (DATABASE_URL).
OWN_NAMES = {
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "DATABASE_URL",
    "EMAIL_URL": "EMAIL_URL",
    "CACHE_URL": "CACHE_URL",
}
SHOP_OWN_NAMES = {"CLIENT_ID": "SSO_CLIENT_ID", "CLIENT_SECRET": "SSO_CLIENT_SECRET"}
# Only names a shell can export; anything else in a file is ignored.
NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _unquote(value: str) -> str:
    """Return a value without one pair of surrounding quotes: `KEY="a b"` means `a b`."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def env_files_read(environ: Mapping[str, str], *, repo: Path = REPO) -> dict[str, str]:
    """Return what `.env` and `$VAR_DIR/dev.env` add to `environ` (they never override it)."""
    env_file = environ.get("ENV_FILE", str(repo / ".env"))
    if "ENV_FILE" in environ and env_file and not Path(env_file).is_file():
        raise FileNotFoundError(f"ENV_FILE={env_file}: no such file")
    dotenv = (
        {key: _unquote(value) for key, value in read_env_file(Path(env_file)).items() if value}
        if env_file
        else {}
    )
    var_dir = Path(environ.get("VAR_DIR") or dotenv.get("VAR_DIR") or repo / "var")
    added: dict[str, str] = {}
    for source in (dotenv, read_env_file(var_dir / "dev.env")):
        for key, value in source.items():
            if NAME.fullmatch(key) and key not in environ and key not in added:
                added[key] = value
    return added


def project_environ(
    project: str, environ: Mapping[str, str], *, repo: Path = REPO
) -> dict[str, str]:
    """Return `environ` completed for one project, the way scripts/entrypoint.sh runs it.

    The env files fill in what is missing; public URLs follow the ports unless set on their own;
    the project's stack-wide names (IDP_SECRET_KEY, SHOP_A_DATABASE_URL...) become its own
    (SECRET_KEY, DATABASE_URL...); PORT is the one it listens on.
    """
    if project not in PROJECTS:
        raise ValueError(f"unknown project {project!r} ({', '.join(PROJECTS)})")
    env = {**environ, **env_files_read(environ, repo=repo)}
    env["VAR_DIR"] = env.get("VAR_DIR") or str(repo / "var")
    for prefix, default_port in PROJECTS.values():
        port = env.get(f"{prefix}_PORT") or str(default_port)
        env[f"{prefix}_URL"] = env.get(f"{prefix}_URL") or f"http://localhost:{port}"
    prefix, default_port = PROJECTS[project]
    own_names = OWN_NAMES if prefix == "IDP" else OWN_NAMES | SHOP_OWN_NAMES
    for stack_name, own_name in own_names.items():
        if env.get(f"{prefix}_{stack_name}"):
            env[own_name] = env[f"{prefix}_{stack_name}"]
    env["PORT"] = env.get(f"{prefix}_PORT") or str(default_port)
    return env


def main(argv: list[str]) -> int:
    """Print `export NAME=value` lines for what a project's environment adds or changes.

    `--files` prints only what the env files add (for scripts/dev.sh, which runs every project).
    """
    if len(argv) != 1 or argv[0] not in (*PROJECTS, "--files"):
        print(f"usage: stack_env.py {'|'.join(PROJECTS)}|--files", file=sys.stderr)
        return 2
    try:
        if argv[0] == "--files":
            env = {**os.environ, **env_files_read(os.environ)}
        else:
            env = project_environ(argv[0], os.environ)
    except (OSError, UnicodeDecodeError) as error:
        print(f"stack_env: {error}", file=sys.stderr)
        return 1
    for key, value in env.items():
        if os.environ.get(key) != value:
            print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
