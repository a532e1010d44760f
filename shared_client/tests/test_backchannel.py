"""Back-channel logout (OIDC Back-Channel Logout 1.0): the provider ends local sessions."""

import time
import uuid

import jwt
import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client

from sso_client import constants as c
from sso_client.models import SSOSession
from sso_client.sessions import sso_sessions_end
from tests.conftest import CLIENT_ID, ISSUER, callback_query

pytestmark = pytest.mark.django_db


def logout_claims(**overrides):
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "exp": int(time.time()) + 120,
        "jti": uuid.uuid4().hex,
        "events": {c.BACKCHANNEL_LOGOUT_EVENT: {}},
        "sid": "idp-session-1",
        "sub": "2f7c1e0a-0000-4000-8000-000000000001",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def logout_token(idp, claims, *, typ="logout+jwt"):
    """Sign `claims` as the provider does, with header `typ` (none when typ is None)."""
    return jwt.encode(claims, idp.key, algorithm="RS256", headers={"kid": idp.kid, "typ": typ})


def post_logout(client, token):
    return client.post("/oidc/backchannel-logout/", {"logout_token": token})


def assert_refused(response, reason, session_key):
    """§2.8: 400 with a JSON error; the local session and its record are left alone."""
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"error": "invalid_request", "error_description": reason}
    assert Session.objects.filter(session_key=session_key).exists()
    assert SSOSession.objects.filter(session_key=session_key).exists()


def test_logout_token_ends_the_session_of_its_sid(signed_in_client, idp):
    """The provider's POST, from outside any browser session, ends the sid's local session."""
    session_key = signed_in_client.session.session_key

    response = post_logout(Client(), logout_token(idp, logout_claims()))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.exists()
    assert "_auth_user_id" not in signed_in_client.session


def test_logout_token_with_only_sub_ends_every_session_of_that_user(signed_in_client, idp):
    """Without a sid, every local session of the sub ends, whatever its IdP session."""
    other_browser = Client()
    idp.id_token_overrides["sid"] = "idp-session-2"
    other_browser.get("/oidc/callback/", callback_query(other_browser, idp))
    session_keys = [signed_in_client.session.session_key, other_browser.session.session_key]
    assert SSOSession.objects.filter(session_key__in=session_keys).count() == 2

    response = post_logout(Client(), logout_token(idp, logout_claims(sid=None)))

    assert response.status_code == 200
    assert not Session.objects.filter(session_key__in=session_keys).exists()
    assert not SSOSession.objects.exists()


def test_logout_token_of_another_sid_leaves_session(signed_in_client, idp):
    session_key = signed_in_client.session.session_key

    response = post_logout(
        signed_in_client, logout_token(idp, logout_claims(sid="other", sub=None))
    )

    assert response.status_code == 200
    assert Session.objects.filter(session_key=session_key).exists()


def test_logout_token_with_nonce_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(nonce="n")))

    assert_refused(response, "logout token contains a nonce", signed_in_client.session.session_key)


def test_logout_token_for_another_client_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(aud="other-client")))

    assert_refused(
        response,
        "token is not for this client (aud): Audience doesn't match",
        signed_in_client.session.session_key,
    )


def test_logout_token_of_another_issuer_is_refused(signed_in_client, idp):
    response = post_logout(
        signed_in_client, logout_token(idp, logout_claims(iss="https://evil.test/o"))
    )

    assert_refused(response, "wrong issuer: Invalid issuer", signed_in_client.session.session_key)


def test_logout_token_without_event_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(events={"other": {}})))

    assert_refused(
        response, "events lacks the back-channel logout event", signed_in_client.session.session_key
    )


def test_logout_token_without_sid_or_sub_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(sid=None, sub=None)))

    assert_refused(response, "neither sid nor sub", signed_in_client.session.session_key)


def test_logout_token_without_iat_is_refused(signed_in_client, idp):
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(iat=None)))

    assert_refused(
        response,
        'required claim missing: Token is missing the "iat" claim',
        signed_in_client.session.session_key,
    )


def test_replayed_jti_is_refused(signed_in_client, idp):
    """A second token with a jti already seen is refused."""
    claims = logout_claims(sid="other", sub=None)
    assert post_logout(signed_in_client, logout_token(idp, claims)).status_code == 200

    response = post_logout(signed_in_client, logout_token(idp, {**claims, "sid": "idp-session-1"}))

    assert_refused(
        response, "logout token replayed (jti seen before)", signed_in_client.session.session_key
    )


def test_seen_jtis_live_in_the_cache_alias_cache(signed_in_client, idp):
    """The replay record is in SSO_CLIENT["CACHE_ALIAS"] (shared), not the default cache."""
    claims = logout_claims(sid="other", sub=None)
    assert post_logout(Client(), logout_token(idp, claims)).status_code == 200
    caches["default"].clear()
    assert post_logout(Client(), logout_token(idp, claims)).status_code == 400

    caches["sso"].clear()

    assert post_logout(Client(), logout_token(idp, claims)).status_code == 200


def test_logout_token_with_an_untrusted_extra_audience_is_refused(signed_in_client, idp):
    """Back-Channel Logout 1.0 §2.6: aud is validated as for ID tokens."""
    token = logout_token(idp, logout_claims(aud=[CLIENT_ID, "other-client"]))

    response = post_logout(Client(), token)

    assert_refused(
        response,
        "token names untrusted audiences ['other-client'] (aud)",
        signed_in_client.session.session_key,
    )


def test_ending_sessions_needs_sid_or_sub(signed_in_client):
    """Neither sid nor sub is refused rather than read as "every session"."""
    with pytest.raises(ValueError, match="sid or sub is required"):
        sso_sessions_end(issuer=ISSUER, sid=None, sub=None)

    assert SSOSession.objects.count() == 1


def test_missing_logout_token_is_refused(client, db):
    response = client.post("/oidc/backchannel-logout/", {})

    assert response.status_code == 400
    assert response.json()["error_description"] == "no logout_token"


def assert_accepted(response, session_key):
    """The token was valid: 200 and the sid's local session is gone."""
    assert response.status_code == 200
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.filter(session_key=session_key).exists()


@pytest.mark.parametrize(
    ("typ", "reason"),
    [
        ("JWT", "token typ 'JWT' is not logout+jwt"),
        (None, "token typ None is not logout+jwt"),
        ("at+jwt", "token typ 'at+jwt' is not logout+jwt"),
        ("application/jwt", "token typ 'application/jwt' is not logout+jwt"),
        ("text/logout+jwt", "token typ 'text/logout+jwt' is not logout+jwt"),
        ("logout+jwt ", "token typ 'logout+jwt ' is not logout+jwt"),
    ],
)
def test_logout_token_typed_other_than_logout_jwt_is_refused(signed_in_client, idp, typ, reason):
    """RFC 8725 §3.11: only `typ: logout+jwt` is a logout token; an ID token ("JWT") is not."""
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(), typ=typ))

    assert_refused(response, reason, signed_in_client.session.session_key)


@pytest.mark.parametrize(
    "typ", ["logout+jwt", "LOGOUT+JWT", "application/logout+jwt", "Application/Logout+JWT"]
)
def test_logout_token_typ_is_read_case_insensitively_with_or_without_application_prefix(
    signed_in_client, idp, typ
):
    """RFC 7515 §4.1.9: the "application/" prefix may be omitted or present, in any case."""
    session_key = signed_in_client.session.session_key

    response = post_logout(signed_in_client, logout_token(idp, logout_claims(), typ=typ))

    assert_accepted(response, session_key)


def test_logout_token_without_exp_is_refused(signed_in_client, idp):
    """§2.4: exp is REQUIRED."""
    response = post_logout(signed_in_client, logout_token(idp, logout_claims(exp=None)))

    assert_refused(
        response,
        'required claim missing: Token is missing the "exp" claim',
        signed_in_client.session.session_key,
    )


def test_logout_token_valid_for_a_day_is_refused(signed_in_client, idp):
    """A lifetime (exp - iat) above LOGOUT_TOKEN_MAX_LIFETIME (default 300 s) is refused."""
    now = int(time.time())
    claims = logout_claims(iat=now, exp=now + 86400)

    response = post_logout(signed_in_client, logout_token(idp, claims))

    assert_refused(
        response,
        "logout token lifetime 86400 s exceeds 300 s (exp - iat)",
        signed_in_client.session.session_key,
    )


def test_logout_token_with_the_longest_lifetime_allowed_is_accepted(signed_in_client, idp):
    """A lifetime of exactly LOGOUT_TOKEN_MAX_LIFETIME is allowed."""
    session_key = signed_in_client.session.session_key
    now = int(time.time())

    response = post_logout(
        signed_in_client, logout_token(idp, logout_claims(iat=now, exp=now + 300))
    )

    assert_accepted(response, session_key)


def test_logout_token_lifetime_bound_is_the_setting(signed_in_client, idp, settings):
    """LOGOUT_TOKEN_MAX_LIFETIME in SSO_CLIENT replaces the default bound."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "LOGOUT_TOKEN_MAX_LIFETIME": 60}
    now = int(time.time())

    response = post_logout(
        signed_in_client, logout_token(idp, logout_claims(iat=now, exp=now + 120))
    )

    assert_refused(
        response,
        "logout token lifetime 120 s exceeds 60 s (exp - iat)",
        signed_in_client.session.session_key,
    )


def test_logout_token_expiring_at_its_issue_time_is_refused(signed_in_client, idp):
    """An exp not after iat is no lifetime at all, even when LEEWAY lets the exp pass."""
    now = int(time.time())

    response = post_logout(signed_in_client, logout_token(idp, logout_claims(iat=now, exp=now)))

    assert_refused(
        response, "logout token exp is not after its iat", signed_in_client.session.session_key
    )


def test_expired_logout_token_is_refused(signed_in_client, idp):
    """An exp further in the past than LEEWAY (60 s) is refused."""
    now = int(time.time())
    claims = logout_claims(iat=now - 200, exp=now - 80)

    response = post_logout(signed_in_client, logout_token(idp, claims))

    assert_refused(
        response, "token has expired: Signature has expired", signed_in_client.session.session_key
    )


def test_logout_token_expired_within_leeway_is_accepted(signed_in_client, idp):
    """An exp less than LEEWAY in the past is clock skew, not expiry."""
    session_key = signed_in_client.session.session_key
    now = int(time.time())

    response = post_logout(
        signed_in_client, logout_token(idp, logout_claims(iat=now - 150, exp=now - 30))
    )

    assert_accepted(response, session_key)


def test_logout_token_issued_in_the_future_is_refused(signed_in_client, idp):
    """An iat further in the future than LEEWAY (60 s) is refused."""
    now = int(time.time())
    claims = logout_claims(iat=now + 120, exp=now + 240)

    response = post_logout(signed_in_client, logout_token(idp, claims))

    assert_refused(
        response,
        "token is not valid yet (iat/nbf in the future): The token is not yet valid (iat)",
        signed_in_client.session.session_key,
    )


def test_logout_token_issued_within_leeway_in_the_future_is_accepted(signed_in_client, idp):
    """An iat less than LEEWAY in the future is clock skew."""
    session_key = signed_in_client.session.session_key
    now = int(time.time())

    response = post_logout(
        signed_in_client, logout_token(idp, logout_claims(iat=now + 30, exp=now + 150))
    )

    assert_accepted(response, session_key)


def test_logout_token_clock_skew_is_the_leeway_setting(signed_in_client, idp, settings):
    """LEEWAY bounds the skew on logout tokens too: with 0, an iat 30 s ahead is refused."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "LEEWAY": 0}
    now = int(time.time())
    claims = logout_claims(iat=now + 30, exp=now + 150)

    response = post_logout(signed_in_client, logout_token(idp, claims))

    assert_refused(
        response,
        "token is not valid yet (iat/nbf in the future): The token is not yet valid (iat)",
        signed_in_client.session.session_key,
    )


@pytest.mark.parametrize("name", ["iat", "exp"])
def test_logout_token_with_a_time_as_a_string_is_refused(signed_in_client, idp, name):
    """RFC 7519 §2: iat and exp are NumericDate numbers; PyJWT's int() lets "1700000000" by."""
    claims = logout_claims()
    claims[name] = str(claims[name])

    response = post_logout(signed_in_client, logout_token(idp, claims))

    assert_refused(response, f"{name} is not a number", signed_in_client.session.session_key)
