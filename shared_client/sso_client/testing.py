"""A fake identity provider behind `requests`, for tests of sso_client and of the projects using it.

No network: `FakeIdP.install(monkeypatch)` answers every `requests` call from memory (discovery,
JWKS, the token endpoint with PKCE, userinfo, the service API). A project's tests set
`SSO_CLIENT` to ISSUER, CLIENT_ID and CLIENT_SECRET and use an IdP session ("idp-session-1").
"""

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from sso_client.tokens import access_token_hash

ISSUER = "https://idp.test/o"
CLIENT_ID = "shop-client"
CLIENT_SECRET = "shop-secret"  # noqa: S105 - the fake provider's, tests only


def rsa_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


def sign(claims: dict[str, Any], key: Any, *, kid: str | None = "key-1", alg: str = "RS256") -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def base_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "2f7c1e0a-0000-4000-8000-000000000001",
        "aud": CLIENT_ID,
        "exp": now + 300,
        "iat": now,
        "nonce": "nonce-1",
        "sid": "idp-session-1",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def alice_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "sub": "2f7c1e0a-0000-4000-8000-000000000001",
        "given_name": "Alice",
        "family_name": "Liddell",
        "name": "Alice Liddell",
        "email": "alice@example.com",
        "email_verified": True,
        "picture": "https://idp.test/media/avatars/alice.png",
        "groups": [],
    }
    claims.update(overrides)
    return claims


@dataclass
class FakeIdP:
    """An OpenID provider answering `requests` calls from memory."""

    key: rsa.RSAPrivateKey
    kid: str = "key-1"
    published: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    userinfo: dict[str, Any] = field(default_factory=alice_claims)
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    # Replace fields of the token response (e.g. an access_token that is not ASCII).
    token_overrides: dict[str, Any] = field(default_factory=dict)
    metadata_overrides: dict[str, Any] = field(default_factory=dict)
    # Put the userinfo claims in the ID token too, as this repository's identity server does.
    claims_in_id_token: bool = False
    failure: Callable[[str], None] | None = None
    # Paths answered with a status and an HTML page instead of JSON (a proxy's error page).
    html_pages: dict[str, int] = field(default_factory=dict)
    # The service API: users the lookup knows, tokens issued by the client-credentials grant,
    # the JSON bodies the lookup received, and a (status, body) answered instead when set.
    directory: list[dict[str, Any]] = field(default_factory=list)
    service_tokens: list[str] = field(default_factory=list)
    lookups: list[dict[str, Any]] = field(default_factory=list)
    lookup_answer: tuple[int, Any] | None = None

    def __post_init__(self) -> None:
        self.published = [public_jwk(self.key, self.kid)]

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize/",
            "token_endpoint": f"{ISSUER}/token/",
            "userinfo_endpoint": f"{ISSUER}/userinfo/",
            "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
            "end_session_endpoint": f"{ISSUER}/logout/",
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            **self.metadata_overrides,
        }

    def rotate(self) -> rsa.RSAPrivateKey:
        """Publish a new signing key next to the old one and sign with it from now on."""
        self.key, self.kid = rsa_private_key(), f"key-{len(self.published) + 1}"
        self.published.append(public_jwk(self.key, self.kid))
        return self.key

    def sign(self, claims: dict[str, Any]) -> str:
        return sign(claims, self.key, kid=self.kid)

    def authorize(self, authorize_url: str) -> dict[str, str]:
        """Approve an authorization request; return the callback query (code, state)."""
        params = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()}
        code = uuid.uuid4().hex
        self.codes[code] = params
        return {"code": code, "state": params["state"]}

    def _client_credentials(
        self, request: requests.PreparedRequest, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """RFC 6749 §4.4 with client_secret_basic only, for scope users:read."""
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}" or "client_secret" in form:
            return 401, {"error": "invalid_client"}
        if form.get("scope") != "users:read":
            return 400, {"error": "invalid_scope"}
        token = uuid.uuid4().hex
        self.service_tokens.append(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 300}

    def _lookup(self, request: requests.PreparedRequest) -> tuple[int, Any]:
        """The provider's POST /api/service/users/lookup/ (bearer token, JSON emails)."""
        authorization = request.headers.get("Authorization", "")
        if authorization.removeprefix("Bearer ") not in self.service_tokens:
            return 401, {"error": "invalid_token"}
        emails = json.loads(request.body or b"{}")["emails"]
        self.lookups.append({"emails": emails})
        if self.lookup_answer is not None:
            return self.lookup_answer
        asked = {email.lower() for email in emails}
        users = [user for user in self.directory if user["email"].lower() in asked]
        known = {user["email"].lower() for user in users}
        unknown = [email for email in emails if email.lower() not in known]
        return 200, {"users": users, "unknown": unknown}

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("client_secret") != CLIENT_SECRET:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        access_token = uuid.uuid4().hex
        claims = base_claims(
            sub=self.userinfo["sub"],
            nonce=grant.get("nonce"),
            at_hash=access_token_hash(access_token=access_token),
        )
        if self.claims_in_id_token:
            claims.update({name: value for name, value in self.userinfo.items() if name != "sub"})
        claims.update(self.id_token_overrides)
        body = {"access_token": access_token, "token_type": "Bearer", "id_token": self.sign(claims)}
        return 200, {**body, **self.token_overrides}

    def handle(self, request: requests.PreparedRequest, timeout: Any) -> requests.Response:
        url = request.url or ""
        self.calls.append((request.method or "", url, timeout))
        if self.failure is not None:
            self.failure(url)
        path = urlparse(url).path
        response = requests.Response()
        response.url = url
        response.request = request
        if path in self.html_pages:
            response.status_code = self.html_pages[path]
            response.headers["Content-Type"] = "text/html"
            response._content = b"<html><body>An error page</body></html>"
            return response
        status, body = 404, {"error": "not found"}
        if url == f"{ISSUER}/.well-known/openid-configuration":
            status, body = 200, self.metadata()
        elif path == "/o/.well-known/jwks.json":
            status, body = 200, {"keys": list(self.published)}
        elif path == "/o/token/":
            raw = request.body or ""
            raw = raw.decode() if isinstance(raw, bytes) else raw
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if form.get("grant_type") == "client_credentials":
                status, body = self._client_credentials(request, form)
            else:
                status, body = self._token(form)
        elif request.method == "POST" and path == "/api/service/users/lookup/":
            status, body = self._lookup(request)
        elif path == "/o/userinfo/":
            status, body = 200, dict(self.userinfo)
        response.status_code = status
        response.headers["Content-Type"] = "application/json"
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return response

    def urls_called(self, path: str) -> int:
        return sum(1 for _, url, _ in self.calls if urlparse(url).path == path)

    def install(self, monkeypatch: Any) -> "FakeIdP":
        """Answer every `requests` call from this provider, until `monkeypatch` undoes it."""

        def send(adapter: Any, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            return self.handle(request, kwargs.get("timeout"))

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
        return self


def callback_query(client: Any, idp: FakeIdP, *, next_url: str = "/orders/") -> dict[str, str]:
    """Start a sign-in at the shop and let the fake provider approve it."""
    response = client.get("/oidc/login/", {"next": next_url})
    assert response.status_code == 302
    return idp.authorize(response["Location"])
