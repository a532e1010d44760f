"""Act as shop A's OAuth client over real HTTP: authorization requests and code exchanges."""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import requests

from support.web import WebClient, query, sign_in_at_idp


def pkce_pair() -> tuple[str, str]:
    """Return a PKCE verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(stack, client_id: str, redirect_uri: str, **extra: str) -> str:
    """Return an authorization request URL at the stack's identity server."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
    } | extra
    return f"{stack.idp}/o/authorize/?{urlencode(params)}"


def signed_in_at_idp(stack, customer) -> WebClient:
    """Return a browser signed in at the identity server as ``customer``."""
    client = WebClient()
    sign_in_at_idp(client, stack.idp, customer.email, customer.password)
    return client


def shop_a_code(stack, customer) -> tuple[str, str]:
    """Act as shop A's client: get an authorization code; return it with its PKCE verifier."""
    client_id, _ = stack.client_credentials("SHOP_A")
    verifier, challenge = pkce_pair()
    client = signed_in_at_idp(stack, customer)
    response = client.get(
        authorize_url(
            stack,
            client_id,
            f"{stack.shop_a}/oidc/callback/",
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
        allow_redirects=False,
    )
    return query(response.headers["Location"])["code"], verifier


def token_request(stack, code: str, verifier: str) -> requests.Response:
    """Exchange a code at the token endpoint with shop A's credentials."""
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{stack.shop_a}/oidc/callback/",
        "code_verifier": verifier,
    }
    credentials = stack.client_credentials("SHOP_A")
    return requests.post(f"{stack.idp}/o/token/", data=exchange, auth=credentials, timeout=30)


def refresh_request(stack, refresh_token: str) -> requests.Response:
    """Refresh with shop A's credentials."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    credentials = stack.client_credentials("SHOP_A")
    return requests.post(f"{stack.idp}/o/token/", data=data, auth=credentials, timeout=30)
