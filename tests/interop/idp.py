"""What every third-party RP needs from the identity server: discovery, a client, a browser leg."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit

import requests
from support.stack import Stack
from support.web import WebClient

LOGIN_PATH = "/account/login/"


def issuer(stack: Stack) -> str:
    """Return the identity server's issuer identifier."""
    return f"{stack.idp}/o"


def discover(stack: Stack) -> dict:
    """Fetch the provider metadata the way an RP does: from the issuer's well-known address."""
    response = requests.get(f"{issuer(stack)}/.well-known/openid-configuration", timeout=30)
    response.raise_for_status()
    return response.json()


def _repeated(option: str, values: Sequence[str]) -> list[str]:
    """Return ``option value`` pairs for a repeatable command-line option."""
    return [arg for value in values for arg in (option, value)]


def register_client(
    stack: Stack,
    *,
    name: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    first_party: bool = True,
    public: bool = False,
) -> dict:
    """Register a client with ``oidc_client add``; return its JSON (client_id, client_secret)."""
    args = [
        "add",
        "--name",
        name,
        *_repeated("--redirect-uri", redirect_uris),
        *_repeated("--post-logout-redirect-uri", post_logout_redirect_uris),
        *_repeated("--allowed-origin", allowed_origins),
    ]
    if first_party:
        args.append("--first-party")
    if public:
        args.append("--public")
    result = stack.run("identity_server", "manage", "oidc_client", *args)
    return json.loads(result.stdout)


def browser_leg(
    client: WebClient,
    url: str,
    *,
    credentials: tuple[str, str] | None = None,
) -> str:
    """Open an authorization URL as a browser; return the URL it ends on.

    With ``credentials`` the browser signs in when the sign-in form shows. The RP's redirect
    URI must answer (see ``sites.local_site``), so the final URL is the authorization
    response as the RP received it.
    """
    client.get(url)
    if credentials and urlsplit(client.last.url).path == LOGIN_PATH:
        email, password = credentials
        client.submit({"username": email, "password": password}, form="form[method=post]")
    return client.last.url


def on_login_page(client: WebClient, stack: Stack) -> bool:
    """Return whether the browser is looking at the identity server's sign-in form."""
    return client.last.url.startswith(f"{stack.idp}{LOGIN_PATH}")
