"""Hostile input at the authorization and token endpoints never gets a 500 (see fuzz_values)."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from oidc.tests.flow import SHOP_A_CALLBACK
from oidc.tests.fuzz_values import (
    ACCESS_TOKEN,
    CODE,
    CONFIDENTIAL,
    FUZZ,
    ID_TOKEN,
    ISSUER,
    PUBLIC,
    PUBLIC_CALLBACK,
    REFRESH_TOKEN,
    SECRET,
    VERIFIER,
    authorization_headers,
    basic,
    hostile,
    hostile_or,
    id_token_hints,
    origins,
    repeatable,
    requests_like,
    scopes,
    signed_odd_jwts,
    uris,
)
from oidc.tests.fuzz_world import (
    Filler,
    anonymous,
    assert_no_server_error,
    form_post,
    rolled_back,
)

pytestmark = pytest.mark.django_db


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
