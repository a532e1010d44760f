"""Fixtures of the events tests: a client that knows Alice, and a real local HTTP receiver."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oidc import constants
from oidc.models import ClientUser
from oidc.services.clients import client_register
from oidc.tests.flow import SHOP_A_CALLBACK


@dataclass
class Receiver:
    """A local HTTP server answering a script of (status, headers, delay) in turn."""

    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    def script(self, *answers: int | tuple[int, dict[str, str], float]) -> None:
        """Queue answers; an int is a status with no headers; the last one repeats."""
        self.answers = [(a, {}, 0.0) if isinstance(a, int) else a for a in answers]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP endpoint on 127.0.0.1 (an http.server in a thread)."""
    state = Receiver()
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append({"headers": dict(self.headers), "body": body})
            status, headers, delay = (
                state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            )
            if delay:
                release.wait(delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/oidc/events/"
    state.script(202)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def events_shop(db, receiver):
    """A shop with an events URI at the receiver; (application, secret)."""
    return client_register(
        name="Events Shop",
        redirect_uris=[SHOP_A_CALLBACK],
        post_logout_redirect_uris=[],
        events_uri=receiver.url,
        first_party=True,
    )


@pytest.fixture
def knows_alice(events_shop, user):
    """The events shop received a code for Alice with openid, profile and email."""
    application, _secret = events_shop
    scopes = " ".join([constants.SCOPE_OPENID, constants.SCOPE_PROFILE, constants.SCOPE_EMAIL])
    return ClientUser.objects.create(application=application, user=user, scopes=scopes)
