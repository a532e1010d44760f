"""The fuzzer's world: clients, live codes and tokens filled into placeholders, savepoints."""

import base64
import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from conftest import PASSWORD
from django.conf import settings
from django.db import transaction
from django.test import Client
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

from oidc.tests.flow import code_get, pkce_make, token_exchange
from oidc.tests.fuzz_values import (
    ACCESS_TOKEN,
    CODE,
    CONFIDENTIAL,
    ID_TOKEN,
    PLACEHOLDERS,
    PUBLIC,
    REFRESH_TOKEN,
    SECRET,
    SUB,
    VERIFIER,
)

# The clients, Alice, and how placeholders are filled in.


class World:
    """The registered clients and the browser signed in as Alice."""

    def __init__(
        self, *, browser: Client, confidential_id: str, secret: str, public_id: str, sub: str
    ) -> None:
        self.browser = browser
        self.confidential_id = confidential_id
        self.secret = secret
        self.public_id = public_id
        self.sub = sub
        self.id_token = ""

    def __repr__(self) -> str:
        """Keep Hypothesis's report of a failing example short."""
        return "World(shop A, a browser app, Alice signed in)"


def signed_jwt(claims: dict[str, Any]) -> str:
    """Sign ``claims`` with the provider's current key, as an ID token is signed."""
    key = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    token = jwt.JWT(
        header={"alg": "RS256", "kid": key.thumbprint()}, claims=json.dumps(claims, default=str)
    )
    token.make_signed_token(key)
    return token.serialize()


class Filler:
    """Fill the placeholders of one example; codes and tokens are minted on first use."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.verifier = ""
        self._tokens: dict[str, str] | None = None

    def tokens(self) -> dict[str, str]:
        """Return live tokens of shop A for Alice, minted for this example."""
        if self._tokens is None:
            world, pkce = self.world, pkce_make()
            code = code_get(world.browser, world.confidential_id, pkce)
            response = token_exchange(
                world.browser, world.confidential_id, world.secret, code, pkce.verifier
            )
            assert response.status_code == 200, response.content
            self._tokens = response.json()
        return self._tokens

    def code(self) -> str:
        """Return a live code of shop A, redeemable with ``<verifier>``."""
        pkce = pkce_make()
        self.verifier = pkce.verifier
        return code_get(self.world.browser, self.world.confidential_id, pkce)

    def __call__(self, value: Any) -> Any:
        """Return ``value`` (strings, lists, dicts, ``{"sign": claims}``) filled in."""
        if isinstance(value, dict):
            if set(value) == {"sign"}:
                return signed_jwt(self(value["sign"]))
            return {self(name): self(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, str) or "<" not in value:
            return value
        world = self.world
        fills = {
            CODE: self.code,
            CONFIDENTIAL: lambda: world.confidential_id,
            SECRET: lambda: world.secret,
            PUBLIC: lambda: world.public_id,
            VERIFIER: lambda: self.verifier,
            ACCESS_TOKEN: lambda: self.tokens()["access_token"],
            REFRESH_TOKEN: lambda: self.tokens()["refresh_token"],
            ID_TOKEN: lambda: world.id_token,
            SUB: lambda: world.sub,
        }
        for placeholder, fill in fills.items():
            if placeholder in value:
                value = value.replace(placeholder, fill())
        return value

    def headers(self, authorization: str | None, origin: str | None = None) -> dict[str, str]:
        """Return the WSGI extras for an Authorization and an Origin header (None: absent).

        A Basic value drawn with placeholders is base64 of them: decode, fill, encode again.
        """
        extra = {}
        if origin is not None:
            extra["HTTP_ORIGIN"] = origin
        if authorization is None:
            return extra
        if authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:], validate=True).decode()
            except ValueError:
                decoded = ""
            if any(placeholder in decoded for placeholder in PLACEHOLDERS):
                authorization = "Basic " + base64.b64encode(self(decoded).encode()).decode()
        extra["HTTP_AUTHORIZATION"] = self(authorization)
        return extra


def server_error_report(response) -> str:
    """Describe a 5xx: the exception, the frames of our code, and where it was raised."""
    lines = [f"status {response.status_code}"]
    exc_info = getattr(response, "exc_info", None)
    if exc_info:
        _type, error, tb = exc_info
        frames = traceback.extract_tb(tb)
        ours = [frame for frame in frames if frame.filename.startswith(str(settings.BASE_DIR))]
        lines.append(f"{type(error).__name__}: {error}")
        lines += [f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in ours]
        lines.append("  ...")
        lines += [f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in frames[-3:]]
    return "\n".join(lines)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint rolled back at its end.

    Examples then neither see each other's rows (a replayed example behaves the same) nor
    inherit a transaction that a database error aborted (PostgreSQL).
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_no_server_error(response) -> None:
    """A bad request is the client's error (4xx), never the server's (5xx)."""
    assert response.status_code < 500, server_error_report(response)


def anonymous() -> Client:
    """Return a browser nobody signed in with, whose requests never raise."""
    return Client(raise_request_exception=False)


def signed_in_browser(user) -> Client:
    """Return a new browser signed in as ``user`` through the sign-in form."""
    browser = anonymous()
    response = browser.post("/account/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def form_post(client: Client, path: str, data: Any, encoding: str, **extra: str):
    """POST ``data`` urlencoded or as multipart."""
    if encoding == "multipart":
        return client.post(path, data, **extra)
    body = urlencode(data, doseq=True)
    return client.post(path, body, content_type="application/x-www-form-urlencoded", **extra)
