"""A local HTTP endpoint the identity server can deliver to: it records every POST, answers
the first ones from a script (503, 400...), and forwards the rest to a real shop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
import requests

# What the receiver answers once its script is spent and it has no shop behind it.
ACCEPTED = 202


@dataclass(frozen=True)
class Received:
    """One POST as the receiver saw it, and what it answered."""

    path: str
    content_type: str
    token: str
    status: int

    @property
    def claims(self) -> dict:
        """The token's claims, unverified (the shop behind checks the signature)."""
        return jwt.decode(self.token, options={"verify_signature": False})


class ScriptedReceiver:
    """Answers POSTs with ``script`` in order, then forwards them to ``upstream`` (the shop's
    origin, same path) or, without one, answers 202."""

    def __init__(self, script: list[int], upstream: str | None = None) -> None:
        self.script = list(script)
        self.upstream = upstream
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _answer(self, path: str, content_type: str, body: bytes) -> tuple[int, bytes, str]:
        with self.lock:
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            return scripted, b"", "text/plain"
        if self.upstream is None:
            return ACCEPTED, b"", "text/plain"
        forwarded = requests.post(
            f"{self.upstream}{path}",
            data=body,
            headers={"Content-Type": content_type, "Accept": "application/json"},
            timeout=10,
        )
        kind = forwarded.headers.get("Content-Type", "text/plain")
        return forwarded.status_code, forwarded.content, kind

    def _record(self, path: str, content_type: str, body: bytes, status: int) -> None:
        text = body.decode()
        if content_type.startswith("application/x-www-form-urlencoded"):
            text = parse_qs(text).get("logout_token", [""])[0]
        with self.lock:
            self.received.append(Received(path, content_type, text, status))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type", "")
                status, answer, kind = receiver._answer(self.path, content_type, body)
                receiver._record(self.path, content_type, body, status)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                """Quiet: the test reads ``received``."""

        return Handler


@contextmanager
def scripted_receiver(script: list[int], upstream: str | None = None) -> Iterator[ScriptedReceiver]:
    """Run a ScriptedReceiver on a free 127.0.0.1 port for the duration of the block."""
    receiver = ScriptedReceiver(script, upstream)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
