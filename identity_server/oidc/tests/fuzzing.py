"""Strategies and helpers of the endpoint fuzzer (``test_fuzz.py``).

Hostile values, placeholders filled in with live codes and tokens, a savepoint per example.
"""

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
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

from oidc.tests.flow import SHOP_A_CALLBACK, code_get, pkce_make, token_exchange

ISSUER = "http://localhost:8000/o"
PUBLIC_ORIGIN = "http://localhost:5173"
PUBLIC_CALLBACK = f"{PUBLIC_ORIGIN}/callback"

# A modest number of examples per test. A test's fixtures serve all its examples, and each
# example runs in a savepoint rolled back at its end (``rolled_back``). No example database
# is written to the tree.
FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# Placeholders, filled in by Filler.
CONFIDENTIAL = "<confidential>"
SECRET = "<secret>"
PUBLIC = "<public>"
CODE = "<code>"
VERIFIER = "<verifier>"
ACCESS_TOKEN = "<access_token>"
REFRESH_TOKEN = "<refresh_token>"
ID_TOKEN = "<id_token>"
SUB = "<sub>"
PLACEHOLDERS = (
    CONFIDENTIAL,
    SECRET,
    PUBLIC,
    CODE,
    VERIFIER,
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    ID_TOKEN,
    SUB,
)


# Hostile values.

HOSTILE_VALUES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "\r\nSet-Cookie: x=1",
    "\t",
    "\ufeff",
    "\u202e",
    "é",
    "💥",
    "\x7f\x80\xff",
    "A" * 5_000,
    "A" * 100_000,
    "-1",
    "0",
    "00",
    "+1",
    "1.5",
    "1e309",
    "99999999999999999999999999999",
    "-99999999999999999999999999999",
    "NaN",
    "inf",
    "٣",
    "\uff11",  # FULLWIDTH DIGIT ONE: str.isdigit() says yes
    "²",
    "null",
    "true",
    "[]",
    "{}",
    '{"a": 1}',
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%",
    "%ZZ",
    "%FF%FE",
    "+",
    "&",
    "=",
    "#",
    "?",
    "\\",
    ".",
    "..",
    "a.b.c",
    "a.b.c.d.e",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
    "eyJ.eyJ.eyJ",
    "!!!",
]

#: Any Unicode, as a decoded query or form field can hold (no lone surrogates: not UTF-8).
unicode_text = st.text(st.characters(codec="utf-8"), max_size=40)
#: Header values: a WSGI server decodes header bytes as Latin-1 (PEP 3333).
latin1_text = st.text(st.characters(codec="latin-1"), max_size=40)

hostile = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    unicode_text,
    st.integers().map(str),
    st.floats().map(str),
    st.builds(lambda a, b: f"{a}\x00{b}", unicode_text, unicode_text),
)


def hostile_or(*values: str) -> st.SearchStrategy[str]:
    """Draw one of ``values`` or anything hostile."""
    return st.one_of(st.sampled_from(values), hostile)


def repeatable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Draw a value, or several: RFC 6749 §3.1 forbids a repeated parameter."""
    return st.one_of(strategy, st.lists(strategy, min_size=2, max_size=3))


def _changed(base: dict[str, Any], changes: list[tuple[str, Any]], removals: set[str]) -> dict:
    params = {name: value for name, value in base.items() if name not in removals}
    params.update(changes)
    return params


def requests_like(
    bases: list[dict[str, Any]], fields: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Draw one of ``bases`` with up to three parameters replaced and two removed."""
    change = st.one_of([st.tuples(st.just(name), value) for name, value in fields.items()])
    names = sorted({name for base in bases for name in base} | set(fields))
    return st.builds(
        _changed,
        st.sampled_from(bases),
        st.lists(change, max_size=3),
        st.sets(st.sampled_from(names), max_size=2),
    )


uris = st.one_of(
    st.sampled_from(
        [
            SHOP_A_CALLBACK,
            PUBLIC_CALLBACK,
            "http://localhost:8001/",
            "http://localhost:65536/oidc/callback/",
            "http://localhost:99999/oidc/callback/",
            "http://localhost:99999999999999999999/",
            "http://localhost:-1/",
            "http://localhost:0/",
            "http://localhost:8001:8001/",
            "http://localhost:/",
            "http://localhost:abc/",
            "http://[::1]:8001/oidc/callback/",
            "http://[::1]:99999/",
            "http://[::1/",
            "http://[zz]/",
            "http://[fe80::1%25eth0]/",
            "http://::1/",
            "http://localhost:8001\x00/oidc/callback/",
            "http://user:pw@localhost:8001/oidc/callback/",
            "http://localhost:8001/oidc/callback/?a=b",
            "http://localhost:8001/oidc/callback/#fragment",
            "http://LOCALHOST:8001/oidc/callback/",
            "https://évil.example/",
            "http://xn--vil-bma.example/",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "//evil.example/",
            "/relative",
            "http:",
            "http://",
            "http:///",
            "urn:ietf:wg:oauth:2.0:oob",
        ]
    ),
    st.builds(
        "{}://{}:{}{}".format,
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        st.sampled_from(["localhost", "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "ex.ample"]),
        st.integers(min_value=-10, max_value=10**12),
        st.one_of(st.just("/oidc/callback/"), unicode_text),
    ),
    hostile,
)

scopes = st.one_of(
    st.lists(
        st.sampled_from(
            ["openid", "profile", "email", "phone", "groups", "offline_access", "address", "x"]
        ),
        max_size=6,
    ).map(" ".join),
    hostile,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | unicode_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(unicode_text, children),
    max_leaves=6,
)

#: ID-token-like claims, mostly with our issuer so that reading them goes past that check.
odd_claims = st.fixed_dictionaries(
    {"iss": st.one_of(st.just(ISSUER), json_values)},
    optional={
        "sub": st.one_of(st.sampled_from([SUB, "not-a-uuid"]), st.uuids().map(str), json_values),
        "aud": st.one_of(
            st.sampled_from(
                [CONFIDENTIAL, PUBLIC, [CONFIDENTIAL, PUBLIC], [CONFIDENTIAL, 1], "unknown", []]
            ),
            json_values,
        ),
        "azp": json_values,
        "exp": json_values,
        "iat": json_values,
        "auth_time": json_values,
        "nonce": json_values,
        "sid": json_values,
    },
)

#: A JWT we sign (``{"sign": claims}``): a real signature over odd claims.
signed_odd_jwts = odd_claims.map(lambda claims: {"sign": claims})

#: An ``id_token_hint``: a real ID token, a JWT we signed with odd claims, or garbage.
id_token_hints = st.one_of(st.just(ID_TOKEN), signed_odd_jwts, hostile)


def basic(user: str | bytes, password: str | bytes = b"") -> str:
    """Return an HTTP Basic ``Authorization`` value (RFC 7617) for raw user and password."""
    raw = user if isinstance(user, bytes) else user.encode()
    raw += b":" + (password if isinstance(password, bytes) else password.encode())
    return "Basic " + base64.b64encode(raw).decode()


#: Authorization headers of every shape: client credentials (RFC 6749 §2.3.1) or bearer.
authorization_headers = st.one_of(
    st.none(),
    st.sampled_from(
        [
            basic(CONFIDENTIAL, SECRET),
            basic(CONFIDENTIAL, "wrong"),
            basic(PUBLIC, ""),
            basic(CONFIDENTIAL),
            basic("unknown", "x"),
            basic(b"\xff\xfe", b"\xff"),
            basic(b"\x00", b"\x00"),
            basic(b"%ZZ", b"%00"),
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "Basic " + base64.b64encode(b"\xc3\x28:\xa0\xa1").decode(),
            "Basic !!!not-base64!!!",
            "Basic ====",
            "Basic =",
            "Basic a",
            "Basic",
            "Basic ",
            "basic " + base64.b64encode(b"a:b").decode(),
            "Basic \xff\xfe",
            "Basic YTpi YTpi",
            f"Bearer {ACCESS_TOKEN}",
            f"bearer {ACCESS_TOKEN}",
            f"Bearer  {ACCESS_TOKEN}",
            f"Bearer {ACCESS_TOKEN} extra",
            f"Bearer {ID_TOKEN}",
            f"Bearer {REFRESH_TOKEN}",
            ACCESS_TOKEN,
            "Bearer",
            "Bearer ",
            "Bearer \x00",
            "Bearer \xff",
            "Digest username=x",
            "",
            " ",
        ]
    ),
    st.builds("{} {}".format, st.sampled_from(["Basic", "Bearer", "basic", "BEARER"]), latin1_text),
    st.builds(lambda raw: "Basic " + base64.b64encode(raw).decode(), st.binary(max_size=40)),
    latin1_text,
)

#: Origin headers for the CORS code of the token, revocation and userinfo endpoints.
origins = st.one_of(
    st.none(),
    st.sampled_from([PUBLIC_ORIGIN, "null", "*", "http://localhost:99999", "http://[::1"]),
    latin1_text,
)

#: Raw request bodies, not valid form encoding or not UTF-8.
raw_bodies = st.one_of(
    st.sampled_from(
        [
            b"",
            b"grant_type=authorization_code&code=%00",
            b"grant_type=authorization_code&code=%FF%FE",
            b"grant_type=refresh_token&refresh_token=%C3%28",
            b"token=%00&token_type_hint=%FF",
            b"\xff\xfe\x00",
            b"=&=&&&",
            b"a=%",
            b'{"grant_type": "authorization_code"}',
            b"grant_type=authorization_code&grant_type=refresh_token",
        ]
    ),
    st.binary(max_size=200),
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
