"""The events worker: back-channel logout reaches a shop that was down; two workers on one
PostgreSQL database deliver every event exactly once."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from bootstrap import dev_env_ensure
from support.stack import ENTRYPOINT, PostgresDatabases, wait_for
from support.web import sign_in_at_shop

EVENTS = 1000
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"


def postgres_server_url() -> str:
    """Return TEST_POSTGRES_URL, else the local server if it answers; fail clearly otherwise."""
    url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5432), timeout=2):
            return url
    except OSError:
        pytest.fail(
            f"Two workers need PostgreSQL (SKIP LOCKED): none answers at {url}. Set "
            "TEST_POSTGRES_URL=postgres://user@host:port to a server this test may create "
            "databases on."
        )


class Sink:
    """A local HTTP receiver that acknowledges every SET and counts them by ``txn``."""

    def __init__(self) -> None:
        self.txns: Counter[str] = Counter()
        self.lock = threading.Lock()

    def record(self, body: bytes) -> None:
        payload = body.split(b".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        with self.lock:
            self.txns[claims["txn"]] += 1


@pytest.fixture
def sink() -> Iterator[tuple[Sink, str]]:
    """The sink, listening on a free 127.0.0.1 port: (sink, its events URL)."""
    state = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.record(self.rfile.read(int(self.headers["Content-Length"])))
            # A little latency, as a real shop has, so both workers have rows in flight.
            time.sleep(0.005)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/oidc/events/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def idp_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The identity server's environment on a throwaway, migrated PostgreSQL database."""
    databases = PostgresDatabases(postgres_server_url())
    var_dir = tmp_path / "var"
    dev_env_ensure(var_dir)
    env = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    env.update(
        VAR_DIR=str(var_dir),
        ENV_FILE="",
        IDP_DATABASE_URL=databases.create("identity_server"),
        EVENTS_POLL_SECONDS="0.1",
        EVENTS_BATCH_SIZE="10",
        EVENTS_WORKER_THREADS="4",
    )
    try:
        run(env, "migrate", "--noinput", "-v", "0")
        yield env
    finally:
        databases.drop_all()


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(ENTRYPOINT), "identity_server", "manage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def delivered_count(database_url: str) -> int:
    parts = urlsplit(database_url)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=parts.path.lstrip("/"),
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM events_delivery WHERE status = 'delivered'")
            return cursor.fetchone()[0]
    finally:
        conn.close()


def test_two_workers_deliver_a_thousand_events_exactly_once(idp_env, sink, tmp_path):
    """SKIP LOCKED and the lease: 1,000 SETs, two workers, each txn received once."""
    receiver, url = sink
    run(
        idp_env,
        "shell",
        "--no-imports",
        "-c",
        "import uuid; from django.utils import timezone; from datetime import timedelta; "
        "from events.models import Delivery, Event; "
        "from oidc.services.clients import client_register; "
        "app, _ = client_register(name='Sink', redirect_uris=['http://localhost:1/cb'], "
        f"post_logout_redirect_uris=[], events_uri={url!r}); "
        "events = Event.objects.bulk_create(Event(type="
        "'https://schemas.openid.net/secevent/risc/event-type/account-disabled', "
        f"user_sub=uuid.uuid4()) for _ in range({EVENTS})); "
        "later = timezone.now() + timedelta(days=1); "
        f"Delivery.objects.bulk_create(Delivery(event=e, application=app, kind='set', uri={url!r}, "
        "give_up_at=later) for e in events)",
    )
    # Logs go to files: a pipe nobody reads would fill up and stall the worker.
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    workers = [
        subprocess.Popen(
            [str(ENTRYPOINT), "identity_server", "manage", "deliver_events"],
            env=idp_env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    deadline = time.monotonic() + 120
    while delivered_count(idp_env["IDP_DATABASE_URL"]) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.5)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)
    outputs = [log.read_text() for log in logs]

    assert [worker.returncode for worker in workers] == [0, 0], [out[-2000:] for out in outputs]
    assert delivered_count(idp_env["IDP_DATABASE_URL"]) == EVENTS
    assert len(receiver.txns) == EVENTS
    assert set(receiver.txns.values()) == {1}, "an event was delivered twice"
    attempts = [int(out.split("Made ")[1].split()[0]) for out in outputs]
    assert sum(attempts) == EVENTS
    assert min(attempts) > 0, f"one worker did everything: {attempts}"


def shop_b_signed_out(stack, client) -> Callable[[], bool]:
    """Return a check: shop B's next page is anonymous."""

    def check() -> bool:
        client.get(f"{stack.shop_b}/")
        return client.page().select_one(".user-name") is None

    return check


def test_sign_out_at_a_reaches_b_within_seconds(stack, client, customer):
    """Signed in at A and B; sign out at A: B's next request is anonymous, no action at B."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    client.get(f"{stack.shop_a}/")

    client.submit(form="form[action*='/oidc/logout/']")

    assert wait_for(shop_b_signed_out(stack, client), deadline_seconds=10)


def test_a_shop_that_was_down_is_signed_out_when_it_is_back(stack, client, customer):
    """Shop B down during the sign-out: the sign-out does not wait on it, and once B is back
    the retried logout token ends B's session with no manual step."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    client.get(f"{stack.shop_a}/")
    stack.server_stop("project_b")
    try:
        signed_out = client.submit(form="form[action*='/oidc/logout/']")
    finally:
        stack.server_start("project_b")

    # Nothing is sent to B inside the sign-out: it completes while B is down.
    assert signed_out.status_code == 200 and signed_out.url == f"{stack.shop_a}/"
    assert wait_for(shop_b_signed_out(stack, client), deadline_seconds=15)
