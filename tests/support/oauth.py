"""Act as shop A's OAuth client over real HTTP: authorization requests and code exchanges."""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import jwt
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


def shop_a_authorize_url(stack, code_challenge: str, **extra: str) -> str:
    """Return shop A's authorization request with PKCE (S256) and ``extra`` parameters."""
    client_id, _ = stack.client_credentials("SHOP_A")
    return authorize_url(
        stack,
        client_id,
        f"{stack.shop_a}/oidc/callback/",
        code_challenge=code_challenge,
        code_challenge_method="S256",
        **extra,
    )


def shop_a_code_for(client: WebClient, stack, **extra: str) -> tuple[str, str]:
    """Act as shop A's client for a browser signed in at the IdP: return a code and verifier.

    ``extra`` adds authorization parameters (acr_values...); the IdP must answer at once.
    """
    verifier, challenge = pkce_pair()
    response = client.get(shop_a_authorize_url(stack, challenge, **extra), allow_redirects=False)
    return query(response.headers["Location"])["code"], verifier


def shop_a_code(stack, customer) -> tuple[str, str]:
    """Act as shop A's client: get an authorization code; return it with its PKCE verifier."""
    return shop_a_code_for(signed_in_at_idp(stack, customer), stack)


def id_token_verified(stack, id_token: str) -> dict:
    """Return the claims of an ID token for shop A, checked against the IdP's published keys."""
    client_id, _ = stack.client_credentials("SHOP_A")
    keys = jwt.PyJWKClient(f"{stack.idp}/o/.well-known/jwks.json")
    return jwt.decode(
        id_token,
        keys.get_signing_key_from_jwt(id_token).key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=f"{stack.idp}/o",
    )


def shop_a_tokens(stack, client: WebClient) -> dict:
    """Act as shop A's client for a signed-in browser; return the token response's JSON."""
    return token_request(stack, *shop_a_code_for(client, stack)).json()


def token_request(
    stack, code: str, verifier: str, *, http: requests.Session | None = None
) -> requests.Response:
    """Exchange a code at the token endpoint with shop A's credentials.

    Over ``http``'s kept-alive connection when given, as sso_client calls it.
    """
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{stack.shop_a}/oidc/callback/",
        "code_verifier": verifier,
    }
    credentials = stack.client_credentials("SHOP_A")
    return (http or requests).post(
        f"{stack.idp}/o/token/", data=exchange, auth=credentials, timeout=30
    )


def refresh_request(
    stack, refresh_token: str, *, http: requests.Session | None = None
) -> requests.Response:
    """Refresh with shop A's credentials (over ``http`` when given, like ``token_request``)."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    credentials = stack.client_credentials("SHOP_A")
    return (http or requests).post(f"{stack.idp}/o/token/", data=data, auth=credentials, timeout=30)
