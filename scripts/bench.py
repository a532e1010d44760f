"""Benchmark what client-secret hashing costs the token endpoint (`make bench`).

Run from identity_server/. It measures, in one run, the median time of
1. verifying a client secret with Django's password hasher (PBKDF2) and with ours (client_sha256);
2. a token request through the real URL stack, whose cost is the client authentication, with the
   client's secret stored under each hasher;
and prints the medians and the ratios. No timing is asserted anywhere: this only reports.
"""

from __future__ import annotations

import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from base64 import b64encode
from collections.abc import Callable
from pathlib import Path

RUNS = 15


def median_seconds(action: Callable[[], object], runs: int = RUNS) -> float:
    """Return the median wall time of `action` over `runs` calls, after one warm-up call."""
    action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    sys.path.insert(0, str(Path.cwd()))
    var_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ.update(DEBUG="1", SECRET_KEY="bench-only", VAR_DIR=str(var_dir))  # noqa: S106
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    # Each benchmarked request is a deliberate 400 (unknown code): keep them out of the output.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.contrib.auth.hashers import check_password, make_password
    from django.core.management import call_command
    from django.test import Client
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    secret = secrets.token_urlsafe(96)
    app = Application.objects.create(
        name="bench",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="http://localhost:9999/cb/",
        client_secret=secret,
        algorithm="RS256",
    )
    auth = "Basic " + b64encode(f"{app.client_id}:{secret}".encode()).decode()
    client = Client(HTTP_HOST="localhost")

    def token_request() -> None:
        response = client.post(
            "/o/token/",
            {
                "grant_type": "authorization_code",
                "code": "unknown",
                "redirect_uri": "http://localhost:9999/cb/",
                "code_verifier": "v" * 43,
            },
            HTTP_AUTHORIZATION=auth,
        )
        assert response.json()["error"] == "invalid_grant", response.content

    rows = {}
    for hasher in ("pbkdf2_sha256", "client_sha256"):
        encoded = make_password(secret, hasher=hasher)
        Application.objects.filter(pk=app.pk).update(client_secret=encoded)
        rows[hasher] = (
            median_seconds(lambda encoded=encoded: check_password(secret, encoded)),
            median_seconds(token_request),
        )

    print(f"Client-secret hashing, medians of {RUNS} runs each (same run, same machine)")
    print(f"{'hasher':<16}{'verify secret':>16}{'token request':>16}")
    for hasher, (verify, token) in rows.items():
        print(f"{hasher:<16}{verify * 1000:>13.3f} ms{token * 1000:>13.3f} ms")
    slow, fast = rows["pbkdf2_sha256"], rows["client_sha256"]
    print(
        f"ratio pbkdf2/client_sha256: verify x{slow[0] / fast[0]:.0f}, "
        f"token request x{slow[1] / fast[1]:.1f}"
    )
    print(
        f"token requests per second, one thread: {1 / slow[1]:.1f} (pbkdf2) "
        f"vs {1 / fast[1]:.1f} (client_sha256)"
    )


if __name__ == "__main__":
    main()
