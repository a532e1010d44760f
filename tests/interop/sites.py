"""Tiny local web sites for the interop tests: an RP's callback, a single-page app's files."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# A route answers a path with (content type, body).
Route = Callable[[], tuple[str, bytes]]


@dataclass(frozen=True)
class LocalSite:
    """A site on 127.0.0.1, addressed as http://localhost:<port> like the stack's servers."""

    port: int

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on this site."""
        return f"{self.origin}{path}"


def _handler(routes: Mapping[str, Route], fallback: Route | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(urlsplit(self.path).path, fallback)
            if route is None:
                self.send_error(404)
                return
            content_type, body = route()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@contextmanager
def local_site(
    routes: Mapping[str, Route] | None = None, *, fallback: Route | None = None
) -> Iterator[LocalSite]:
    """Serve ``routes`` (path -> route) on a free 127.0.0.1 port until the block ends.

    A path without a route gets ``fallback``'s answer, or a 404 without one.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(routes or {}, fallback))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalSite(port=server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def text(body: str, content_type: str = "text/html; charset=utf-8") -> Route:
    """Return a route that always answers ``body``."""
    encoded = body.encode()
    return lambda: (content_type, encoded)


def file(path: Path, content_type: str) -> Route:
    """Return a route that answers the current content of the file at ``path``."""
    return lambda: (content_type, path.read_bytes())
