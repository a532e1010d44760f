"""Hostile values and request strategies of the endpoint fuzzer (``test_fuzz_*.py``).

The property: hostile input at every OAuth 2.0 / OpenID Connect endpoint never gets a 500.

Property-based (Hypothesis): whatever a client, a browser or an attacker sends to /o/, the
answer is a 2xx, 3xx or 4xx, never a server error and never an exception. RFC 6749 §4.1.2.1
and §5.2, OIDC Core 1.0 §3.1.2.6, RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 7662 §2.3 and
RP-Initiated Logout 1.0 §3 all describe an error *answer* for a bad request.

Most requests are a valid one with a few parameters replaced, repeated or removed, so the
fuzzing reaches past the first check. Values only known at run time (a client id, a live code,
a token) are drawn as placeholders such as ``<confidential>`` and filled in by ``Filler``.
Each ``@example`` pins a request that crashed the server (or one next to it), so that the
test fails on it until it is fixed and stays fixed. A few crash on PostgreSQL only (NUL
characters, column lengths): run with ``DATABASE_URL=postgres://...`` to check those.
"""

import base64
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from oidc.tests.flow import SHOP_A_CALLBACK

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
