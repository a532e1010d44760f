"""The compose stack under test, as scripts/compose-test.sh describes it in the environment."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from support.stack import wait_for
from support.web import WebClient
from wait_ready import wait_ready


def _urls(name: str) -> list[str]:
    return [url for url in os.environ.get(name, "").split(",") if url]


@dataclass(frozen=True)
class ComposeStack:
    """The public URLs of one running profile, its servers' own ports, and docker-compose."""

    profile: str
    command: list[str]
    idp: str
    shop_a: str
    shop_b: str
    # Each server's own http://127.0.0.1:port (gunicorn, behind nginx in prod): readiness and
    # metrics, which nginx does not expose.
    idp_direct: list[str]
    shops_direct: list[str]
    # prod: one https port per IdP replica (nginx, loopback only), in the order of idp_services.
    idp_pinned: list[str]
    idp_services: list[str]
    ca_file: str | None

    @classmethod
    def from_environ(cls) -> ComposeStack:
        """Read the stack scripts/compose-test.sh started from the COMPOSE_SMOKE_* variables."""
        env = os.environ
        if "COMPOSE_SMOKE_COMMAND" not in env:
            raise RuntimeError("no stack described: run these tests with `make test-compose`")
        return cls(
            profile=env["COMPOSE_SMOKE_PROFILE"],
            command=shlex.split(env["COMPOSE_SMOKE_COMMAND"]),
            idp=env["COMPOSE_SMOKE_IDP_URL"],
            shop_a=env["COMPOSE_SMOKE_SHOP_A_URL"],
            shop_b=env["COMPOSE_SMOKE_SHOP_B_URL"],
            idp_direct=_urls("COMPOSE_SMOKE_IDP_DIRECT"),
            shops_direct=_urls("COMPOSE_SMOKE_SHOPS_DIRECT"),
            idp_pinned=_urls("COMPOSE_SMOKE_IDP_PINNED"),
            idp_services=_urls("COMPOSE_SMOKE_IDP_SERVICES"),
            ca_file=env.get("COMPOSE_SMOKE_CA_FILE") or None,
        )

    def compose(self, *args: str, timeout: float = 120) -> str:
        """Run docker-compose on this stack's project and return its output."""
        result = subprocess.run(
            [*self.command, *args], capture_output=True, text=True, timeout=timeout
        )
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in the identity server's `manage.py shell` (in its first container)."""
        service = self.idp_services[0]
        return self.compose(
            "exec", "-T", service, "scripts/entrypoint.sh", "identity_server", "manage", "shell",
            "-c", code,
        )  # fmt: skip

    def health(self, service: str) -> str:
        """Return a service's docker health status (healthy, unhealthy, starting)."""
        container = self.compose("ps", "-q", service).split()[0]
        result = subprocess.run(
            ["docker", "inspect", "--format", "{{json .State.Health.Status}}", container],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    def wait_healthy(self, service: str, *, deadline_seconds: float = 60) -> None:
        """Wait until docker reports the service healthy."""

        def healthy() -> bool:
            return self.health(service) == "healthy"

        waited = wait_for(healthy, deadline_seconds=deadline_seconds)
        assert waited, f"{service} not healthy after {deadline_seconds} s"

    def wait_servers_ready(self, urls: list[str]) -> None:
        """Wait until each server answers its readiness check."""
        not_ready = wait_ready(urls, deadline_seconds=60, path="/readyz")
        assert not not_ready, f"not ready after 60 s: {not_ready}"


class SmokeClient(WebClient):
    """A browser-like visitor over the stack's TLS: it verifies the certificates against the
    stack's CA, and its form posts carry the page's Origin, as a browser's do."""

    def __init__(self, stack: ComposeStack) -> None:
        super().__init__()
        if stack.ca_file:
            self.session.verify = stack.ca_file
            # Else REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment would win over it.
            self.session.trust_env = False

    def post(self, url: str, data: dict | None = None, **kwargs) -> requests.Response:
        parts = urlsplit(url)
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}", **kwargs.pop("headers", {})}
        return super().post(url, data=data, headers=headers, **kwargs)

    def pin_identity_server(
        self, stack: ComposeStack, replicas: list[str] | None = None
    ) -> ReplicaPinning:
        """Send this visitor's identity server requests to each replica (or to those of
        ``replicas``, the stack's pinned URLs) in turn."""
        pinning = ReplicaPinning(stack.idp, replicas or stack.idp_pinned)
        self.session.mount(f"{stack.idp}/", pinning)
        return pinning


class ReplicaPinning(HTTPAdapter):
    """Send each request for the public issuer URL to the next replica's own port in turn.

    The request and the response keep the public URL, so cookies, redirects and form actions
    are those of the issuer; `served` lists the replica that answered each request.
    """

    def __init__(self, public: str, replicas: list[str]) -> None:
        super().__init__()
        self.public = public
        self._replicas = itertools.cycle(replicas)
        self.served: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        pinned = request.copy()
        pinned.url = next(self._replicas) + request.url.removeprefix(self.public)
        pinned.headers.pop("Host", None)
        response = super().send(pinned, **kwargs)
        response.url, response.request = request.url, request
        self.served.append(response.headers.get("X-Replica", "?"))
        return response
