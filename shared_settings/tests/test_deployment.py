"""Each project as deployed: `check --deploy` clean, and 503 while PostgreSQL is unreachable.

These run the projects' own settings in subprocesses, from their folders, with a production
environment: https URLs, secrets set, DEBUG off.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECTS = {
    "identity_server": {"IDP_URL": "https://idp.example", "ALLOWED_HOSTS": "idp.example"},
    "project_a": {"SHOP_A_URL": "https://shop-a.example", "ALLOWED_HOSTS": "shop-a.example"},
    "project_b": {"SHOP_B_URL": "https://shop-b.example", "ALLOWED_HOSTS": "shop-b.example"},
}
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")


def production_env(project: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return the environment of ``project`` in production, and nothing of this process's."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return env | {
        "ENV_FILE": "",
        "VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "IDP_URL": "https://idp.example",
        "TRUSTED_PROXIES": "10.0.0.0/8",
        "OIDC_RSA_PRIVATE_KEY_FILE": str(REPO / "identity_server/oidc/tests/keys/signing.pem"),
        "SSO_CLIENT_ID": "shop",
        "SSO_CLIENT_SECRET": secrets.token_urlsafe(48),
        "EMAIL_URL": "smtp+tls://mail.example",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        **PROJECTS[project],
        **extra,
    }


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("project", PROJECTS)
def test_check_deploy_is_clean(project: str, tmp_path: Path) -> None:
    """HSTS, secure and __Host- cookies, redirects behind the proxy, no DEBUG: no warning."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO / project,
        env=production_env(project, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# (method, path, headers, with a session cookie): a page whose middleware loads the session,
# an OAuth or SSO endpoint called by a program, a view that queries, and the probes.
PAGE = ("get", "/account/login/", {"HTTP_ACCEPT": "text/html"}, True)
REQUESTS = {
    "identity_server": [
        PAGE,
        (
            "post",
            "/o/token/",
            {"HTTP_ACCEPT": "application/json"},
            False,
            {"grant_type": "authorization_code", "client_id": "shop-a", "code": "c"},
        ),
    ],
    "project_a": [
        ("get", "/cart/", {"HTTP_ACCEPT": "text/html"}, True),
        ("post", "/oidc/backchannel-logout/", {"HTTP_ACCEPT": "application/json"}, True),
        ("get", "/", {"HTTP_ACCEPT": "text/html"}, False),
    ],
}
REQUESTS["project_b"] = REQUESTS["project_a"]
PROBES = [("get", "/readyz", {}, False), ("get", "/healthz", {}, False)]


def probe(project: str, tmp_path: Path, recover_to: str | None = None) -> dict:
    database_url = f"postgres://postgres@127.0.0.1:{closed_port()}/postgres"
    if recover_to:
        parts = urlsplit(recover_to)
        database_url = (
            f"{parts.scheme}://{parts.netloc.split('@')[0]}@127.0.0.1:{closed_port()}/postgres"
        )
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parent / "fault_probe.py"),
            json.dumps([*REQUESTS[project], *PROBES]),
            *(
                [f"{urlsplit(recover_to).hostname}:{urlsplit(recover_to).port or 5432}"]
                if recover_to
                else []
            ),
        ],
        cwd=REPO / project,
        # The test client's host, plain http, a cache that needs no server.
        env=production_env(
            project,
            tmp_path,
            DATABASE_URL=database_url,
            ALLOWED_HOSTS="testserver",
            SECURE_SSL_REDIRECT="0",
            CACHE_URL="locmemcache://",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("project", PROJECTS)
def test_an_unreachable_database_answers_503(project: str, tmp_path: Path) -> None:
    """Pages say "try again shortly", programs get JSON, both with Retry-After; never a 500.

    The connect timeout that keeps a request from waiting on a dead server is asserted in
    test_production.py, not timed here.
    """
    *answers, readyz, healthz = probe(project, tmp_path)["down"]

    for answer in answers:
        assert (answer["status"], answer["retry_after"]) == (503, "5"), answer
        if answer["json"] is not None:
            assert answer["json"]["error"] == "temporarily_unavailable"
        else:
            assert "Try again shortly" in answer["page"]
    assert answers[1]["json"] is not None
    assert readyz["status"] == 503
    assert readyz["json"]["checks"]["database"] == "failed: OperationalError"
    assert healthz["status"] == 200


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set (make test sets it)")
@pytest.mark.parametrize("project", PROJECTS)
def test_the_database_back_serves_again_without_a_restart(project: str, tmp_path: Path) -> None:
    report = probe(project, tmp_path, recover_to=POSTGRES_URL)

    readyz_down, readyz_back = report["down"][-2], report["back"][-2]
    assert readyz_down["status"] == 503
    assert readyz_back["status"] == 200, readyz_back
    assert readyz_back["json"]["checks"]["database"] == "ok"
