"""Request a project's pages while its database is unreachable, then once it answers again.

Run by test_deployment.py in a project's folder, with DATABASE_URL on a closed port of
127.0.0.1: ``python fault_probe.py REQUESTS_JSON [HOST:PORT]``. It answers the requests, then,
given HOST:PORT, starts forwarding that port to the real PostgreSQL there and answers the
requests again, in the same process: no restart. It prints one JSON document.
"""

import json
import os
import socket
import sys
import threading
from urllib.parse import urlsplit

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402


def answer(
    method: str, path: str, headers: dict[str, str], with_session: bool, data: dict | None = None
) -> dict:
    """Return what one request got: status, Retry-After, JSON error or page."""
    client = Client(raise_request_exception=False)
    if with_session:
        client.cookies[settings.SESSION_COOKIE_NAME] = "s" * 32
    response = getattr(client, method)(path, data, **headers)
    is_json = response.get("Content-Type", "").startswith("application/json")
    return {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "json": json.loads(response.content) if is_json else None,
        "page": "" if is_json else response.content.decode()[:2000],
    }


def pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        target.close()


def forward(port: int, target: tuple[str, int]) -> None:
    """Listen on ``port`` and pass every connection on to ``target``: the database is back."""
    listener = socket.create_server(("127.0.0.1", port))

    def serve() -> None:
        while True:
            client, _ = listener.accept()
            server = socket.create_connection(target)
            threading.Thread(target=pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=pipe, args=(server, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


def main() -> None:
    requests = json.loads(sys.argv[1])
    report = {"down": [answer(*request) for request in requests]}
    if len(sys.argv) > 2:
        host, port = sys.argv[2].rsplit(":", 1)
        forward(urlsplit(os.environ["DATABASE_URL"]).port, (host, int(port)))
        report["back"] = [answer(*request) for request in requests]
    print(json.dumps(report))


main()
