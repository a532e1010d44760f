"""Hostile input at userinfo, revocation and introspection never gets a 500."""

from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from oidc.tests.fuzz_values import (
    ACCESS_TOKEN,
    CONFIDENTIAL,
    FUZZ,
    ID_TOKEN,
    PUBLIC,
    REFRESH_TOKEN,
    SECRET,
    authorization_headers,
    basic,
    hostile,
    hostile_or,
    origins,
    repeatable,
    requests_like,
)
from oidc.tests.fuzz_world import (
    Filler,
    anonymous,
    assert_no_server_error,
    form_post,
    rolled_back,
)

pytestmark = pytest.mark.django_db


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
