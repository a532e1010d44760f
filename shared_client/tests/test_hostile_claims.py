"""Legal-but-large and hostile claim values: stored safely or a 400 page, never a 500.

Every test signs in through the callback view. Run them on PostgreSQL too (DATABASE_URL), which
refuses values SQLite stores: strings longer than the column, NUL characters.
"""

import hashlib
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from sso_client import constants as c
from sso_client.models import IdentityLink, SSOSession
from tests.conftest import CLIENT_ID, ISSUER, assert_error_page, callback_query
from tests.test_backchannel import logout_claims, logout_token, post_logout

User = get_user_model()
pytestmark = pytest.mark.django_db

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


def sign_in(client: Client, idp: Any) -> Any:
    return client.get("/oidc/callback/", callback_query(client, idp))


def with_sub(idp: Any, sub: Any) -> None:
    """Make the provider name the user `sub` in the ID token and userinfo alike."""
    idp.userinfo["sub"] = sub


def digest_name(value: str) -> str:
    return "sha256-" + hashlib.sha256(value.encode()).hexdigest()


# sub ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [151, 200, 255])
def test_long_legal_sub_signs_in_with_a_bounded_username(client, idp, length):
    """OIDC allows a sub of 255 characters: the link keeps it whole, the username is a digest."""
    sub = "s" * length
    with_sub(idp, sub)

    assert sign_in(client, idp).status_code == 302

    link = IdentityLink.objects.select_related("user").get()
    assert link.sub == sub
    assert link.user.username == digest_name(sub)
    assert len(link.user.username) <= USERNAME_MAX_LENGTH


def test_long_sub_signs_in_to_the_same_shadow_again(client, idp):
    with_sub(idp, "s" * 255)
    sign_in(client, idp)
    client.logout()

    assert sign_in(client, idp).status_code == 302

    assert User.objects.count() == 1


def test_sub_that_fits_the_username_is_the_username(client, idp):
    sub = "s" * USERNAME_MAX_LENGTH
    with_sub(idp, sub)

    sign_in(client, idp)

    assert User.objects.get().username == sub


@pytest.mark.parametrize(
    "sub",
    [
        "s" * 256,  # OIDC Core §2: at most 255 ASCII characters
        "alice-é",  # not ASCII
        "alice\x00",  # NUL, which PostgreSQL cannot store
        "alice bob",  # space
        "alice\n",
        "\ud800",  # a lone surrogate
    ],
)
def test_illegal_sub_is_a_400_page(client, idp, sub):
    with_sub(idp, sub)

    response = sign_in(client, idp)

    assert_error_page(response, 400, "could not be verified")
    assert User.objects.count() == 0


@pytest.mark.parametrize("sub", [42, ["alice"], {"id": "alice"}, True])
def test_sub_that_is_not_a_string_is_a_400_page(client, idp, sub):
    with_sub(idp, sub)

    response = sign_in(client, idp)

    assert_error_page(response, 400, "could not be verified")
    assert User.objects.count() == 0


# Token fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at_hash", ["é" * 22, "\ud800" * 22, "x\x00" * 11, 12345, ["a"], None, "a" * 5000]
)
def test_wrong_at_hash_of_any_form_is_a_400_page(client, idp, at_hash):
    idp.id_token_overrides["at_hash"] = at_hash

    response = sign_in(client, idp)

    if at_hash is None:  # JSON null is no at_hash: OIDC Core makes it optional here
        assert response.status_code == 302
    else:
        assert_error_page(response, 400, "could not be verified")


@pytest.mark.parametrize(
    "claim",
    [
        {"exp": 1e400},  # JSON's Infinity: PyJWT's int() overflows
        {"exp": "tomorrow"},
        {"iat": [1]},
        {"iat": 1e400},
        {"nonce": 7},
        {"nonce": "\ud800"},
        {"azp": ["shop-client"]},
        {"aud": 7},
        {"aud": [CLIENT_ID, 7]},
        {"exp": None},
    ],
)
def test_mistyped_registered_claim_is_a_400_page(client, idp, claim):
    idp.id_token_overrides.update(claim)

    response = sign_in(client, idp)

    assert_error_page(response, 400, "could not be verified")
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "answer",
    [
        {"access_token": "tokén"},  # RFC 6749 §A.12: ASCII only; at_hash is computed over it
        {"access_token": 42},
        {"access_token": None},
        {"id_token": 42},
        {"id_token": ["a.b.c"]},
        {"id_token": "not-a-jwt"},
    ],
)
def test_mistyped_token_response_is_a_400_page(client, idp, answer):
    idp.token_overrides.update(answer)

    response = sign_in(client, idp)

    assert_error_page(response, 400, "could not be verified")


def test_untrusted_extra_audience_with_our_azp_is_a_400_page(client, idp):
    """OIDC Core §3.1.3.7 step 3: azp naming the client does not make another audience trusted."""
    idp.id_token_overrides.update(aud=[CLIENT_ID, "other-client"], azp=CLIENT_ID)

    response = sign_in(client, idp)

    assert_error_page(response, 400, "could not be verified")
    assert User.objects.count() == 0


def test_trusted_extra_audience_signs_in(client, idp, settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "TRUSTED_AUDIENCES": ["other-client"]}
    idp.id_token_overrides.update(aud=[CLIENT_ID, "other-client"], azp=CLIENT_ID)

    assert sign_in(client, idp).status_code == 302


def test_token_without_kid_signs_in_when_the_provider_has_one_key(client, idp):
    idp.kid = None

    assert sign_in(client, idp).status_code == 302


# Profile claims --------------------------------------------------------------------------


def test_picture_over_1000_characters_is_not_kept(client, idp):
    """A cut URL points nowhere: the avatar is left empty, the sign-in goes on."""
    idp.userinfo["picture"] = "https://idp.test/" + "p" * 1000

    assert sign_in(client, idp).status_code == 302

    assert IdentityLink.objects.get().picture == ""


@pytest.mark.parametrize(
    "picture",
    ["javascript:alert(1)", "data:image/png;base64,AAAA", "not a url", 42, ["https://a.b/c"], None],
)
def test_picture_that_is_not_an_http_url_is_not_kept(client, idp, picture):
    idp.userinfo["picture"] = picture

    assert sign_in(client, idp).status_code == 302

    assert IdentityLink.objects.get().picture == ""


def test_picture_that_changes_to_garbage_is_emptied(client, idp):
    sign_in(client, idp)
    client.logout()
    idp.userinfo["picture"] = "javascript:alert(1)"

    sign_in(client, idp)

    assert IdentityLink.objects.get().picture == ""


def test_names_too_long_for_their_fields_are_cut(client, idp):
    idp.userinfo.update(given_name="G" * 1000, family_name="F" * 151)

    assert sign_in(client, idp).status_code == 302

    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("G" * 150, "F" * 150)


def test_nul_characters_and_lone_surrogates_are_removed_from_names(client, idp):
    """PostgreSQL refuses NUL in text, and no database encodes a lone surrogate."""
    idp.userinfo.update(given_name="Al\x00ice", family_name="Lid\ud800dell")

    assert sign_in(client, idp).status_code == 302

    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Alice", "Lid?dell")


@pytest.mark.parametrize("value", [["Alice"], 42, 4.2, None, {"first": "Alice"}, True])
def test_names_and_email_of_another_type_are_ignored(client, idp, value):
    idp.userinfo.update(given_name=value, family_name=value, email=value)

    assert sign_in(client, idp).status_code == 302

    user = User.objects.get()
    assert (user.first_name, user.last_name, user.email) == ("", "", "")


@pytest.mark.parametrize(
    "email",
    [
        "a" * 64 + "@" + ("d" * 60 + ".") * 4 + "com",  # longer than the 254 of EmailField
        "not an email",
        "alice@exam\x00ple.com",
        "<script>@example.com",
    ],
)
def test_email_that_is_not_one_that_fits_is_left_empty(client, idp, email):
    """A cut address would be someone else's: it is not kept at all."""
    idp.userinfo["email"] = email

    assert sign_in(client, idp).status_code == 302

    assert User.objects.get().email == ""


@pytest.mark.parametrize("active", ["false", 0, None, [False]])
def test_active_claim_that_is_not_a_boolean_is_ignored(client, idp, active):
    idp.userinfo["active"] = active

    assert sign_in(client, idp).status_code == 302

    assert User.objects.get().is_active is True


@pytest.mark.parametrize("groups", ["shop-admins", {"shop-admins": True}, [["shop-admins"]], 1])
def test_groups_of_another_shape_give_no_rights(client, idp, settings, groups):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SUPERUSER_GROUPS": ["shop-admins"]}
    idp.userinfo["groups"] = groups

    assert sign_in(client, idp).status_code == 302

    user = User.objects.get()
    assert (user.is_staff, user.is_superuser) == (False, False)


# sid -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sid", [["idp-session-1"], 42, {"id": 1}])
def test_sid_that_is_not_a_string_is_ignored(client, idp, sid):
    """Back-channel logout then finds the session by sub."""
    idp.id_token_overrides["sid"] = sid

    assert sign_in(client, idp).status_code == 302

    assert SSOSession.objects.get().sid == ""
    assert client.session[c.SESSION_SID] == ""


def test_sid_longer_than_its_column_is_stored_as_a_digest_and_still_logs_out(client, idp):
    """The spec sets no length on sid: a long one is kept as its digest, found again by it."""
    sid = "x" * 300
    idp.id_token_overrides["sid"] = sid
    sign_in(client, idp)
    assert SSOSession.objects.get().sid == digest_name(sid)

    response = post_logout(Client(), logout_token(idp, logout_claims(sid=sid, sub=None)))

    assert response.status_code == 200
    assert not SSOSession.objects.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("sid", [["idp-session-1"], 42])
def test_logout_token_with_a_sid_that_is_not_a_string_is_refused(signed_in_client, idp, sid):
    response = post_logout(Client(), logout_token(idp, logout_claims(sid=sid)))

    assert response.status_code == 400
    assert response.json()["error_description"] == "sid is not a string"
    assert SSOSession.objects.exists()


@pytest.mark.parametrize("sub", ["s" * 256, "\ud800", "alice\x00", 42])
def test_logout_token_with_an_illegal_sub_is_refused(signed_in_client, idp, sub):
    response = post_logout(Client(), logout_token(idp, logout_claims(sid=None, sub=sub)))

    assert response.status_code == 400
    assert SSOSession.objects.exists()


def test_logout_token_with_a_huge_jti_is_refused_once_replayed(signed_in_client, idp):
    """A jti of any length makes a cache key every backend accepts (memcached: 250)."""
    claims = logout_claims(jti="j" * 5000)
    assert post_logout(Client(), logout_token(idp, claims)).status_code == 200

    replay = post_logout(Client(), logout_token(idp, claims))

    assert replay.status_code == 400
    assert replay.json()["error_description"] == "logout token replayed (jti seen before)"


def test_claims_of_a_valid_token_reach_the_shadow_issuer_link(client, idp):
    """Control: the same flow with ordinary claims signs in, so the refusals above are real."""
    idp.id_token_overrides["iat"] = int(time.time())

    assert sign_in(client, idp).status_code == 302

    assert IdentityLink.objects.get().issuer == ISSUER
