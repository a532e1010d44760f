"""Hostile input at every OAuth 2.0 / OpenID Connect endpoint never gets a 500.

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

from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from oidc.services.clients import client_register
from oidc.tests.flow import SHOP_A_CALLBACK
from oidc.tests.fuzzing import (
    ACCESS_TOKEN,
    CODE,
    CONFIDENTIAL,
    FUZZ,
    ID_TOKEN,
    ISSUER,
    PUBLIC,
    PUBLIC_CALLBACK,
    PUBLIC_ORIGIN,
    REFRESH_TOKEN,
    SECRET,
    VERIFIER,
    Filler,
    World,
    anonymous,
    assert_no_server_error,
    authorization_headers,
    basic,
    form_post,
    hostile,
    hostile_or,
    id_token_hints,
    latin1_text,
    origins,
    raw_bodies,
    repeatable,
    requests_like,
    rolled_back,
    scopes,
    signed_in_browser,
    signed_odd_jwts,
    uris,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_app(db):
    """A first-party browser app (a public client)."""
    application, _ = client_register(
        name="Fuzz SPA",
        redirect_uris=[PUBLIC_CALLBACK],
        post_logout_redirect_uris=[f"{PUBLIC_ORIGIN}/"],
        first_party=True,
        public=True,
        allowed_origins=[PUBLIC_ORIGIN],
    )
    return application


@pytest.fixture
def world(browser, user, shop_a, public_app) -> World:
    """Alice signed in; shop A (confidential) and a browser app (public) registered."""
    application, secret = shop_a
    world = World(
        browser=browser,
        confidential_id=application.client_id,
        secret=secret,
        public_id=public_app.client_id,
        sub=str(user.sub),
    )
    world.id_token = Filler(world).tokens()["id_token"]
    browser.raise_request_exception = False
    return world


# /o/authorize/

VALID_AUTHORIZE = {
    "response_type": "code",
    "client_id": CONFIDENTIAL,
    "redirect_uri": SHOP_A_CALLBACK,
    "scope": "openid profile email",
    "state": "state-1",
    "nonce": "nonce-1",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
}
VALID_PUBLIC_AUTHORIZE = {**VALID_AUTHORIZE, "client_id": PUBLIC, "redirect_uri": PUBLIC_CALLBACK}

authorize_fields = {
    "response_type": repeatable(
        hostile_or("code", "token", "id_token", "code id_token", "none", "code code", "CODE")
    ),
    "client_id": repeatable(hostile_or(CONFIDENTIAL, PUBLIC, "unknown", f" {CONFIDENTIAL}")),
    "redirect_uri": repeatable(uris),
    "scope": repeatable(scopes),
    "state": repeatable(hostile),
    "nonce": repeatable(hostile),
    "prompt": repeatable(
        hostile_or("none", "login", "consent", "select_account", "none login", "NONE", "none none")
    ),
    "max_age": repeatable(
        st.one_of(st.integers(min_value=-(10**30), max_value=10**30).map(str), hostile)
    ),
    "code_challenge": repeatable(
        hostile_or("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "a" * 43, "a" * 129)
    ),
    "code_challenge_method": repeatable(hostile_or("S256", "plain", "s256", "RS256")),
    "request": repeatable(st.one_of(signed_odd_jwts, hostile)),
    "request_uri": repeatable(uris),
    "id_token_hint": repeatable(id_token_hints),
    "ui_locales": repeatable(hostile_or("en", "fr-CA en", "xx-XX")),
    "claims": repeatable(hostile_or('{"userinfo": {"email": null}}', "{")),
    "response_mode": repeatable(hostile_or("query", "fragment", "form_post", "jwt")),
    "login_hint": repeatable(hostile),
    "acr_values": repeatable(hostile),
    "registration": repeatable(hostile),
    "display": repeatable(hostile_or("page", "popup")),
    "iss": repeatable(hostile_or(ISSUER)),
    # Our own proof of a fresh sign-in (oidc.views.authorize), forged or replayed.
    "reauth": repeatable(hostile),
    "allow": hostile_or("true", "false", "on"),
}
authorize_queries = requests_like([VALID_AUTHORIZE, VALID_PUBLIC_AUTHORIZE, {}], authorize_fields)


@FUZZ
@given(params=authorize_queries, signed_in=st.booleans())
# Known 500s: prompt=none while signed in; a redirect_uri port above 65535.
@example(params={**VALID_AUTHORIZE, "prompt": "none"}, signed_in=True)
@example(params={**VALID_PUBLIC_AUTHORIZE, "prompt": "none"}, signed_in=True)
@example(
    params={**VALID_AUTHORIZE, "redirect_uri": "http://localhost:65536/oidc/callback/"},
    signed_in=True,
)
@example(
    params={**VALID_AUTHORIZE, "redirect_uri": "http://localhost:99999/oidc/callback/"},
    signed_in=False,
)
@example(
    params={**VALID_AUTHORIZE, "redirect_uri": "http://localhost:65536/", "prompt": "none"},
    signed_in=False,
)
@example(params={**VALID_AUTHORIZE, "redirect_uri": "http://[::1/"}, signed_in=True)
@example(params={**VALID_AUTHORIZE, "max_age": "-1"}, signed_in=True)
@example(params={**VALID_AUTHORIZE, "max_age": "9" * 30}, signed_in=True)
@example(params={**VALID_AUTHORIZE, "client_id": "a\x00b"}, signed_in=True)
# PostgreSQL: the grant's columns are varchar(128) (code_challenge, RFC 7636 §4.2 caps it at
# 128 characters) and varchar(255) (nonce); longer values raised DataError.
@example(params={**VALID_AUTHORIZE, "code_challenge": "a" * 129}, signed_in=True)
@example(params={**VALID_AUTHORIZE, "nonce": "A" * 5_000}, signed_in=True)
@example(params={**VALID_AUTHORIZE, "state": "A" * 5_000}, signed_in=True)
def test_authorize_get_never_fails(world, params, signed_in):
    """GET /o/authorize/ answers any query, signed in or not, without a server error."""
    with rolled_back():
        client = world.browser if signed_in else anonymous()

        response = client.get("/o/authorize/", Filler(world)(params))

        assert_no_server_error(response)


@FUZZ
@given(data=authorize_queries.map(lambda params: {"allow": "true", **params}))
def test_authorize_post_never_fails(world, data):
    """A consent form POST that we did not show is refused, not a 500."""
    with rolled_back():
        response = world.browser.post("/o/authorize/", Filler(world)(data))

        assert_no_server_error(response)


# /o/token/

VALID_CODE_FORM = {
    "grant_type": "authorization_code",
    "code": CODE,
    "redirect_uri": SHOP_A_CALLBACK,
    "client_id": CONFIDENTIAL,
    "client_secret": SECRET,
    "code_verifier": VERIFIER,
}
VALID_REFRESH_FORM = {
    "grant_type": "refresh_token",
    "refresh_token": REFRESH_TOKEN,
    "client_id": CONFIDENTIAL,
    "client_secret": SECRET,
}

token_fields = {
    "grant_type": repeatable(
        hostile_or(
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            "implicit",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "AUTHORIZATION_CODE",
        )
    ),
    "code": repeatable(hostile_or(CODE, f"{CODE}\x00", "\x00", "a\x00")),
    "redirect_uri": repeatable(uris),
    "client_id": repeatable(hostile_or(CONFIDENTIAL, PUBLIC, "unknown", "\x00")),
    "client_secret": repeatable(hostile_or(SECRET, "wrong", "\x00")),
    "code_verifier": repeatable(hostile_or(VERIFIER, "a" * 43, "a" * 129)),
    "refresh_token": repeatable(
        hostile_or(REFRESH_TOKEN, f"{REFRESH_TOKEN}\x00", ACCESS_TOKEN, ID_TOKEN, "\x00")
    ),
    "scope": repeatable(scopes),
    "username": hostile,
    "password": hostile,
    "device_code": hostile,
    "assertion": hostile,
    "subject_token": hostile,
}
token_forms = requests_like(
    [VALID_CODE_FORM, VALID_REFRESH_FORM, {"grant_type": "client_credentials"}, {}], token_fields
)


@FUZZ
@given(
    form=token_forms,
    authorization=authorization_headers,
    origin=origins,
    encoding=st.sampled_from(["urlencoded", "multipart"]),
)
# Known 500s: NUL in the code; a redirect_uri port above 65535.
@example(
    form={**VALID_CODE_FORM, "code": "\x00"}, authorization=None, origin=None, encoding="urlencoded"
)
@example(
    form={**VALID_CODE_FORM, "code": "a\x00b"},
    authorization=None,
    origin=None,
    encoding="multipart",
)
@example(
    form={**VALID_CODE_FORM, "redirect_uri": "http://localhost:65536/oidc/callback/"},
    authorization=None,
    origin=None,
    encoding="urlencoded",
)
@example(
    form={**VALID_REFRESH_FORM, "refresh_token": "\x00"},
    authorization=None,
    origin=None,
    encoding="urlencoded",
)
# 500: DOT's device-code hook looks up a DeviceGrant that does not exist.
@example(
    form={"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
    authorization=None,
    origin=None,
    encoding="urlencoded",
)
# 500: DOT base64-decodes Basic credentials with non-ASCII characters (ValueError).
@example(
    form={"grant_type": "authorization_code", "code": "x"},
    authorization="Basic \x80",
    origin=None,
    encoding="urlencoded",
)
@example(
    form={"grant_type": "client_credentials"},
    authorization="Basic !!!not-base64!!!",
    origin=None,
    encoding="urlencoded",
)
@example(
    form={"grant_type": "authorization_code", "code": "x"},
    authorization=basic(b"\xff\xfe", b"\xff"),
    origin=None,
    encoding="urlencoded",
)
# 500: a malformed Origin checked against the allowed origins of the body's client.
@example(
    form={"grant_type": "authorization_code", "code": "x", "client_id": PUBLIC},
    authorization=None,
    origin="http://[::1",
    encoding="urlencoded",
)
# PostgreSQL: NUL in the Origin reached the query for registered origins (ValueError).
@example(form={"grant_type": "x"}, authorization=None, origin="e\x00", encoding="urlencoded")
def test_token_endpoint_never_fails(world, form, authorization, origin, encoding):
    """POST /o/token/ answers any grant, code, token or client credentials with a 4xx at worst."""
    with rolled_back():
        fill = Filler(world)

        response = form_post(
            anonymous(), "/o/token/", fill(form), encoding, **fill.headers(authorization, origin)
        )

        assert_no_server_error(response)


# /o/userinfo/


@FUZZ
@given(
    method=st.sampled_from(["get", "post"]),
    authorization=st.one_of(st.just(f"Bearer {ACCESS_TOKEN}"), authorization_headers),
    origin=origins,
    query=st.fixed_dictionaries(
        {}, optional={"access_token": hostile_or(ACCESS_TOKEN, ID_TOKEN), "schema": hostile}
    ),
    form=st.fixed_dictionaries({}, optional={"access_token": hostile_or(ACCESS_TOKEN)}),
)
@example(method="get", authorization="Bearer \x00", origin=None, query={}, form={})
@example(method="get", authorization="Bearer \xff", origin=None, query={}, form={})
@example(
    method="get", authorization=None, origin=None, query={"access_token": ACCESS_TOKEN}, form={}
)
@example(method="post", authorization=None, origin=None, query={}, form={"access_token": "\x00"})
@example(method="get", authorization=None, origin="e\x00", query={}, form={})
def test_userinfo_never_fails(world, method, authorization, origin, query, form):
    """/o/userinfo/ answers any Authorization header, query or form token with a 4xx at worst."""
    with rolled_back():
        fill = Filler(world)
        path = "/o/userinfo/"
        if query:
            path += "?" + urlencode(fill(query))

        if method == "get":
            response = anonymous().get(path, **fill.headers(authorization, origin))
        else:
            response = anonymous().post(path, fill(form), **fill.headers(authorization, origin))

        assert_no_server_error(response)


# /o/revoke_token/ and /o/introspect/

token_param_fields = {
    "token": repeatable(
        hostile_or(ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, "\x00", f"{ACCESS_TOKEN}\x00")
    ),
    "token_type_hint": repeatable(
        hostile_or("access_token", "refresh_token", "id_token", "ACCESS_TOKEN")
    ),
    "client_id": repeatable(hostile_or(CONFIDENTIAL, PUBLIC, "unknown", "\x00")),
    "client_secret": repeatable(hostile_or(SECRET, "wrong", "\x00")),
}
token_param_forms = requests_like(
    [
        {"token": ACCESS_TOKEN, "client_id": CONFIDENTIAL, "client_secret": SECRET},
        {"token": REFRESH_TOKEN, "token_type_hint": "refresh_token"},
        {"token": ACCESS_TOKEN, "client_id": PUBLIC},
        {},
    ],
    token_param_fields,
)


@FUZZ
@given(
    form=token_param_forms,
    authorization=authorization_headers,
    origin=origins,
    encoding=st.sampled_from(["urlencoded", "multipart"]),
)
@example(
    form={"token": "\x00", "client_id": CONFIDENTIAL, "client_secret": SECRET},
    authorization=None,
    origin=None,
    encoding="urlencoded",
)
@example(form={"token": "x"}, authorization="Basic \x80", origin=None, encoding="urlencoded")
@example(
    form={"token": "x", "token_type_hint": "refresh_token"},
    authorization="Basic !!!not-base64!!!",
    origin=None,
    encoding="urlencoded",
)
@example(
    form={"token": "x", "client_id": PUBLIC},
    authorization=None,
    origin="http://[::1",
    encoding="urlencoded",
)
def test_revoke_token_never_fails(world, form, authorization, origin, encoding):
    """POST /o/revoke_token/ answers any token and client credentials with a 4xx at worst."""
    with rolled_back():
        fill = Filler(world)

        response = form_post(
            anonymous(),
            "/o/revoke_token/",
            fill(form),
            encoding,
            **fill.headers(authorization, origin),
        )

        assert_no_server_error(response)


@FUZZ
@given(
    form=token_param_forms,
    authorization=authorization_headers,
    encoding=st.sampled_from(["urlencoded", "multipart"]),
)
@example(form={"token": "\x00"}, authorization=basic(CONFIDENTIAL, SECRET), encoding="urlencoded")
@example(form={}, authorization="Basic \x80", encoding="urlencoded")
@example(form={"token": "x"}, authorization=basic(b"\xff\xfe", b"\xff"), encoding="urlencoded")
@example(form={"token": "x"}, authorization="Basic !!!not-base64!!!", encoding="urlencoded")
def test_introspect_never_fails(world, form, authorization, encoding):
    """POST /o/introspect/ answers any token and client credentials with a 4xx at worst."""
    with rolled_back():
        fill = Filler(world)

        response = form_post(
            anonymous(), "/o/introspect/", fill(form), encoding, **fill.headers(authorization)
        )

        assert_no_server_error(response)


# /o/logout/

logout_fields = {
    "client_id": repeatable(hostile_or(CONFIDENTIAL, PUBLIC, "unknown", "\x00")),
    "id_token_hint": repeatable(id_token_hints),
    "post_logout_redirect_uri": repeatable(
        st.one_of(
            st.sampled_from(
                [
                    "http://localhost:8001/",
                    f"{PUBLIC_ORIGIN}/",
                    "http://localhost:65536/",
                    "http://localhost:99999/",
                    "http://[::1]:99999/",
                ]
            ),
            uris,
        )
    ),
    "state": repeatable(hostile),
    "ui_locales": repeatable(hostile),
    "logout_hint": repeatable(hostile),
    "allow": hostile_or("true", "false", "on"),
}
logout_requests = requests_like(
    [
        {"id_token_hint": ID_TOKEN, "post_logout_redirect_uri": "http://localhost:8001/"},
        {"client_id": CONFIDENTIAL, "post_logout_redirect_uri": "http://localhost:8001/"},
        {"client_id": PUBLIC, "post_logout_redirect_uri": f"{PUBLIC_ORIGIN}/", "allow": "true"},
        {},
    ],
    logout_fields,
)


@FUZZ
@given(method=st.sampled_from(["get", "post"]), params=logout_requests, signed_in=st.booleans())
# Known 500s: an unknown client_id; a post_logout_redirect_uri port above 65535.
@example(method="get", params={"client_id": "unknown-client"}, signed_in=True)
@example(method="get", params={"client_id": "unknown-client"}, signed_in=False)
@example(
    method="get",
    params={"id_token_hint": ID_TOKEN, "post_logout_redirect_uri": "http://localhost:99999/"},
    signed_in=True,
)
@example(
    method="get",
    params={"client_id": CONFIDENTIAL, "post_logout_redirect_uri": "http://localhost:65536/"},
    signed_in=True,
)
@example(
    method="post",
    params={
        "client_id": CONFIDENTIAL,
        "post_logout_redirect_uri": "http://localhost:65536/",
        "allow": "true",
    },
    signed_in=True,
)
@example(method="get", params={"id_token_hint": {"sign": {"iss": ISSUER}}}, signed_in=True)
@example(
    method="get",
    params={"id_token_hint": {"sign": {"iss": ISSUER, "aud": [1], "sub": [1]}}},
    signed_in=True,
)
@example(method="get", params={"id_token_hint": "a.b.c"}, signed_in=False)
def test_logout_never_fails(world, user, method, params, signed_in):
    """/o/logout/ answers any client, hint and return address, signed in or not."""
    with rolled_back():
        client = signed_in_browser(user) if signed_in else anonymous()
        data = Filler(world)(params)

        if method == "get":
            response = client.get("/o/logout/", data)
        else:
            response = client.post("/o/logout/", data)

        assert_no_server_error(response)


# Discovery, the JWKS, and any method anywhere

ENDPOINTS = [
    "/o/authorize/",
    "/o/token/",
    "/o/revoke_token/",
    "/o/introspect/",
    "/o/userinfo/",
    "/o/logout/",
    "/o/.well-known/openid-configuration",
    "/o/.well-known/openid-configuration/",
    "/o/.well-known/oauth-authorization-server",
    "/o/.well-known/jwks.json",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/o",
]


@FUZZ
@given(
    path=st.sampled_from(ENDPOINTS),
    method=st.sampled_from(["get", "head", "options", "post", "put", "patch", "delete", "trace"]),
    query=st.dictionaries(hostile, repeatable(hostile), max_size=3),
    origin=origins,
    request_method=st.one_of(st.none(), latin1_text),
    signed_in=st.booleans(),
)
@example(
    path="/o/.well-known/openid-configuration",
    method="get",
    query={},
    origin=None,
    request_method=None,
    signed_in=False,
)
@example(
    path="/o/.well-known/jwks.json",
    method="options",
    query={"\x00": "\x00"},
    origin="\xff",
    request_method="\x00",
    signed_in=False,
)
@example(
    path="/o/.well-known/openid-configuration",
    method="get",
    query={},
    origin="\x00",
    request_method=None,
    signed_in=False,
)
@example(
    path="/o/token/",
    method="options",
    query={},
    origin="\x00",
    request_method="POST",
    signed_in=False,
)
def test_any_method_on_any_endpoint_never_fails(
    world, path, method, query, origin, request_method, signed_in
):
    """Discovery, the JWKS and every endpoint answer any method, query and CORS headers."""
    with rolled_back():
        extra = {}
        if origin is not None:
            extra["HTTP_ORIGIN"] = origin
        if request_method is not None:
            extra["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] = request_method
        client = world.browser if signed_in and path != "/o/logout/" else anonymous()
        if query:
            path += "?" + urlencode(query, doseq=True)

        response = getattr(client, method)(path, **extra)

        assert_no_server_error(response)


# Raw query strings and bodies, at every endpoint

RAW_QUERIES = [
    "%",
    "a=%",
    "a=%zz",
    "%00=%00",
    "client_id=%FF&redirect_uri=%FF",
    "client_id&response_type",
    "=&=&&",
    "a=1;b=2",
    "a=é",
    f"client_id={CONFIDENTIAL}&response_type=code&scope=openid&prompt=none&prompt=login",
]


@FUZZ
@given(
    path=st.sampled_from(ENDPOINTS),
    method=st.sampled_from(["get", "post"]),
    query=st.one_of(
        st.sampled_from(RAW_QUERIES),
        st.text(st.characters(codec="ascii"), max_size=100),
        st.text(st.characters(codec="utf-8"), max_size=30),
    ),
    authorization=authorization_headers,
    signed_in=st.booleans(),
)
# 500: oauthlib refuses a query with a bad percent-escape by raising ValueError.
@example(path="/o/authorize/", method="get", query="a=%zz", authorization=None, signed_in=True)
@example(path="/o/userinfo/", method="get", query="a=%zz", authorization=None, signed_in=False)
@example(path="/o/token/", method="post", query="a=%zz", authorization=None, signed_in=False)
@example(path="/o/revoke_token/", method="post", query="%", authorization=None, signed_in=False)
@example(path="/o/introspect/", method="post", query="a=%", authorization=None, signed_in=False)
def test_raw_query_strings_never_fail(world, path, method, query, authorization, signed_in):
    """A query string that is not valid form encoding (or not UTF-8) is answered with a 4xx."""
    with rolled_back():
        fill = Filler(world)
        client = world.browser if signed_in and path != "/o/logout/" else anonymous()

        response = getattr(client, method)(f"{path}?{fill(query)}", **fill.headers(authorization))

        assert_no_server_error(response)


CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=bogus",
    "application/x-www-form-urlencoded; charset=",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x",
    "application/json",
    "text/plain",
    "",
]


@FUZZ
@given(
    path=st.sampled_from(
        ["/o/token/", "/o/revoke_token/", "/o/introspect/", "/o/userinfo/", "/o/authorize/"]
    ),
    body=raw_bodies,
    content_type=st.one_of(st.sampled_from(CONTENT_TYPES), latin1_text),
    authorization=authorization_headers,
)
@example(
    path="/o/introspect/",
    body=b"",
    content_type="application/x-www-form-urlencoded",
    authorization="Basic \x80",
)
def test_raw_bodies_never_fail(world, path, body, content_type, authorization):
    """A POST body that is not form encoding, or not UTF-8, or mislabelled, gets a 4xx."""
    with rolled_back():
        fill = Filler(world)
        client = world.browser if path == "/o/authorize/" else anonymous()

        # generic() sends the bytes as they are; post() would re-encode them to the charset.
        response = client.generic(
            "POST", path, body, content_type=content_type, **fill.headers(authorization)
        )

        assert_no_server_error(response)
