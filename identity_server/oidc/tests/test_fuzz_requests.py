"""Hostile input at logout, discovery and the JWKS, any method, raw queries and bodies: no 500."""

from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from oidc.tests.fuzz_values import (
    CONFIDENTIAL,
    FUZZ,
    ID_TOKEN,
    ISSUER,
    PUBLIC,
    PUBLIC_ORIGIN,
    authorization_headers,
    hostile,
    hostile_or,
    id_token_hints,
    latin1_text,
    origins,
    raw_bodies,
    repeatable,
    requests_like,
    uris,
)
from oidc.tests.fuzz_world import (
    Filler,
    anonymous,
    assert_no_server_error,
    rolled_back,
    signed_in_browser,
)

pytestmark = pytest.mark.django_db


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
