"""Drive the authorization-code flow through Django's test client."""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

SHOP_A_CALLBACK = "http://localhost:8001/oidc/callback/"
SHOP_B_CALLBACK = "http://localhost:8002/oidc/callback/"


@dataclass
class Pkce:
    """A PKCE verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""

    verifier: str
    challenge: str


def pkce_make() -> Pkce:
    """Return a fresh verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def authorize_params(client_id: str, pkce: Pkce, **overrides: str) -> dict[str, str]:
    """Return the query of an authorization request, as a shop sends it."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": SHOP_A_CALLBACK,
        "scope": "openid profile email phone groups",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def query(url: str) -> dict[str, str]:
    """Return the single-valued query parameters of a URL."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def code_get(browser: Client, client_id: str, pkce: Pkce, **overrides: str) -> str:
    """Run /o/authorize/ for a signed-in browser and return the code from the redirect."""
    response = browser.get("/o/authorize/", authorize_params(client_id, pkce, **overrides))
    assert response.status_code == 302, response.content[:500]
    return query(response["Location"])["code"]


def token_exchange(
    browser: Client, client_id: str, secret: str, code: str, verifier: str, **extra: str
):
    """POST the code to /o/token/ (client_secret_post) and return the response."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": SHOP_A_CALLBACK,
        "client_id": client_id,
        "client_secret": secret,
        "code_verifier": verifier,
        **extra,
    }
    return browser.post("/o/token/", data)


def token_refresh(client_id: str, secret: str, refresh_token: str, **extra: str):
    """POST a refresh grant to /o/token/ (client_secret_post) and return the response."""
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": secret,
        **extra,
    }
    return Client().post("/o/token/", data)


def id_token_claims(id_token: str) -> dict:
    """Verify an ID token with the current public key and return its claims."""
    key = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    public = jwk.JWK.from_json(key.export_public())
    return json.loads(jwt.JWT(key=public, jwt=id_token).claims)


def tokens_get(browser: Client, client_id: str, secret: str, **overrides: str) -> dict:
    """Run authorize and the code exchange for a signed-in browser; return the token JSON."""
    pkce = pkce_make()
    code = code_get(browser, client_id, pkce, **overrides)
    response = token_exchange(browser, client_id, secret, code, pkce.verifier)
    assert response.status_code == 200, response.content
    return response.json()


def client_credentials_token(client_id: str, secret: str, **extra: str):
    """POST a client credentials grant to /o/token/ (client_secret_basic); return the response."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", **extra},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
