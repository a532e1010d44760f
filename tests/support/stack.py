"""Start the identity server, both shops and the events worker as real processes, the way
`make run` does."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from bootstrap import dev_env_ensure
from wait_ready import wait_ready

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "scripts" / "entrypoint.sh"
PROJECTS = ("identity_server", "project_a", "project_b")
PREFIXES = {"identity_server": "IDP", "project_a": "SHOP_A", "project_b": "SHOP_B"}
# The identity server's outbox worker (`manage.py deliver_events`), a process of its own.
WORKER = "events_worker"
# Retries a test can wait out: 0.5 s, 1 s, then 2 s between attempts.
FAST_RETRIES = {
    "EVENTS_RETRY_BASE_SECONDS": "0.5",
    "EVENTS_RETRY_MAX_DELAY_SECONDS": "2",
    "EVENTS_POLL_SECONDS": "0.2",
    "EVENTS_HTTP_TIMEOUT_SECONDS": "3",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresDatabases:
    """Throwaway PostgreSQL databases, one per project, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url.rstrip("/")
        self.names: list[str] = []

    def _execute(self, sql: str) -> None:
        parts = urlsplit(self.server_url)
        conn = psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    def create(self, project: str) -> str:
        name = f"sso_e2e_{project}_{secrets.token_hex(4)}"
        self._execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return f"{self.server_url}/{name}"

    def drop_all(self) -> None:
        for name in self.names:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    """The running servers: their public URLs, environment, generated secrets and log files."""

    var_dir: Path
    log_dir: Path
    env: dict[str, str]
    dev_env: dict[str, str]
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def mail_dir(self) -> Path:
        """Where the identity server writes its mails (Django's file backend)."""
        return self.var_dir / "mail"

    @property
    def idp(self) -> str:
        return self.urls["identity_server"]

    @property
    def shop_a(self) -> str:
        return self.urls["project_a"]

    @property
    def shop_b(self) -> str:
        return self.urls["project_b"]

    def client_credentials(self, shop: str) -> tuple[str, str]:
        """Return the (client id, secret) a shop ("SHOP_A", "SHOP_B") was registered with."""
        return self.dev_env[f"{shop}_CLIENT_ID"], self.dev_env[f"{shop}_CLIENT_SECRET"]

    def run(
        self, project: str, step: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run an entrypoint step (`manage`, `seed`...) for a project; return its output."""
        result = subprocess.run(
            [str(ENTRYPOINT), project, step, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{project} {step} {args} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def shell(self, project: str, code: str) -> str:
        """Run Python in a project's Django shell and return what it printed."""
        return self.run(project, "manage", "shell", "--no-imports", "-c", code).stdout.strip()

    def start(self) -> None:
        for project in PROJECTS:
            self.run(project, "setup")
            self.run(project, "seed")
        for project in PROJECTS:
            self._serve(project)
        self.worker_start()
        self._wait_ready(PROJECTS)

    def restart(self, project: str, **env: str) -> None:
        """Stop one server and start it again, with `env` added to the stack's environment."""
        self._terminate([self.processes.pop(project)])
        self.env.update(env)
        self._serve(project)
        self._wait_ready([project])

    def server_stop(self, project: str) -> None:
        """Stop one server (a shop that is down); ``server_start`` brings it back."""
        self._terminate([self.processes.pop(project)])

    def server_start(self, project: str) -> None:
        """Start a stopped server again and wait until it answers."""
        self._serve(project)
        self._wait_ready([project])

    def worker_start(self) -> None:
        """Start the events worker (`deliver_events`), as `make run` does."""
        log = (self.log_dir / f"{WORKER}.log").open("a")
        self.processes[WORKER] = subprocess.Popen(
            [str(ENTRYPOINT), "identity_server", "manage", "deliver_events"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def worker_stop(self) -> int:
        """Stop the events worker with SIGTERM; return its exit code."""
        process = self.processes.pop(WORKER)
        self._terminate([process])
        return process.returncode

    def stop(self) -> None:
        self._terminate(list(self.processes.values()))

    def _serve(self, project: str) -> None:
        log = (self.log_dir / f"{project}.log").open("a")
        self.processes[project] = subprocess.Popen(
            [str(ENTRYPOINT), project, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def _wait_ready(self, projects) -> None:
        not_ready = wait_ready([self.urls[project] for project in projects], deadline_seconds=60)
        if not_ready:
            self.stop()
            raise RuntimeError(f"servers not ready: {not_ready}; logs in {self.log_dir}")

    @staticmethod
    def _terminate(processes: list[subprocess.Popen]) -> None:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(check: Callable[[], bool], *, deadline_seconds: float = 10) -> bool:
    """Return True once ``check()`` holds, False if it still fails at the deadline.

    For what the events worker delivers after the request that caused it (a back-channel
    logout, an account event): polled every 0.2 s, within the fast retries of FAST_RETRIES.
    """
    deadline = time.monotonic() + deadline_seconds
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """Return whether a Redis server accepts connections (it does on the machines and CI)."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def stack_create(*, var_dir: Path, log_dir: Path, databases: PostgresDatabases | None) -> Stack:
    """Prepare a stack on free ports with fresh secrets and databases (not started)."""
    dev_env = dev_env_ensure(var_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    for old_log in log_dir.glob("*.log"):
        old_log.unlink()
    env = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    env.update(VAR_DIR=str(var_dir), BIND="127.0.0.1", WEB_WORKERS="2", WEB_THREADS="8")
    # A developer's .env (a database URL, say) never reaches the test servers.
    env["ENV_FILE"] = ""
    # Real mail, written to files the tests read (support/mail.py); the throttle's counters in
    # Redis when it answers, else in the database cache (the embedded default).
    env.update(
        IDP_EMAIL_URL=f"filemail://{var_dir / 'mail'}",
        CACHE_KEY_PREFIX=f"e2e-{secrets.token_hex(4)}",
    )
    if redis_answers():
        env["IDP_CACHE_URL"] = "redis://127.0.0.1:6379/0"
    # The sign-in throttle with numbers a test can wait out (tests/test_brute_force.py): 3 free
    # failures per account, waits of 1 and 2 s, an 8 s lockout at the 6th. Every test signs in
    # from 127.0.0.1, so the per-IP limits are set out of reach (unit tests cover them).
    env.update(
        SIGN_IN_FREE_FAILURES="3",
        SIGN_IN_LOCKOUT_FAILURES="6",
        SIGN_IN_LOCKOUT_SECONDS="8",
        SIGN_IN_IP_FREE_FAILURES="100000",
        SIGN_IN_IP_LOCKOUT_FAILURES="200000",
    )
    env.update(FAST_RETRIES)
    stack = Stack(var_dir=var_dir, log_dir=log_dir, env=env, dev_env=dev_env)
    for project in PROJECTS:
        prefix = PREFIXES[project]
        port = free_port()
        # localhost, not 127.0.0.1: DOT lets a 127.0.0.1 redirect URI match any port.
        stack.urls[project] = f"http://localhost:{port}"
        env[f"{prefix}_PORT"] = str(port)
        env[f"{prefix}_URL"] = stack.urls[project]
        if databases:
            env[f"{prefix}_DATABASE_URL"] = databases.create(project)
    return stack
