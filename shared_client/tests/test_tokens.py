"""ID token validation (OIDC Core §3.1.3.7) and the JWKS cache."""

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.cache import caches
from jwt.utils import base64url_encode

from sso_client.exceptions import TokenError
from sso_client.tokens import access_token_hash, id_token_validate, userinfo_check
from tests.conftest import CLIENT_ID, base_claims, public_jwk, rsa_private_key, sign

ACCESS_TOKEN = "access-token-1"


def validate(token: str, *, nonce: str = "nonce-1") -> dict:
    return id_token_validate(token=token, nonce=nonce, access_token=ACCESS_TOKEN)


def refused(token: str, reason: str, *, nonce: str = "nonce-1") -> None:
    with pytest.raises(TokenError) as info:
        validate(token, nonce=nonce)
    assert reason in info.value.reason


def test_valid_token_gives_its_claims(idp):
    """A well-formed token from the provider is accepted."""
    claims = base_claims(at_hash=access_token_hash(access_token=ACCESS_TOKEN))

    assert validate(idp.sign(claims)) == claims


def test_bad_signature_is_refused(idp):
    """A token signed by another key under the provider's kid is refused."""
    refused(sign(base_claims(), rsa_private_key(), kid=idp.kid), "bad signature")


def test_alg_none_is_refused(idp):
    """An unsigned token (alg none) is refused."""
    refused(jwt.encode(base_claims(), None, algorithm="none", headers={"kid": idp.kid}), "'none'")


def test_hs256_with_public_key_as_secret_is_refused(idp):
    """HS256 "signed" with the public key as the secret is refused (algorithm confusion)."""
    pem = idp.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": idp.kid}
    signing_input = b".".join(
        base64url_encode(json.dumps(part).encode()) for part in (header, base_claims())
    )
    signature = hmac.new(pem, signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + base64url_encode(signature)).decode()

    refused(token, "'HS256'")


def test_wrong_issuer_is_refused(idp):
    refused(idp.sign(base_claims(iss="https://evil.test/o")), "wrong issuer")


def test_issuer_with_trailing_slash_is_refused(idp):
    """The issuer is compared exactly."""
    refused(idp.sign(base_claims(iss="https://idp.test/o/")), "wrong issuer")


def test_wrong_audience_is_refused(idp):
    refused(idp.sign(base_claims(aud="other-client")), "aud")


def test_untrusted_extra_audience_is_refused_even_with_our_azp(idp):
    """OIDC Core §3.1.3.7 step 3: an audience the client does not trust refuses the token."""
    refused(idp.sign(base_claims(aud=[CLIENT_ID, "other"], azp=CLIENT_ID)), "untrusted audiences")


def test_several_trusted_audiences_need_azp(idp, settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "TRUSTED_AUDIENCES": ["other"]}

    refused(idp.sign(base_claims(aud=[CLIENT_ID, "other"])), "azp")


def test_azp_of_another_client_is_refused(idp, settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "TRUSTED_AUDIENCES": ["other"]}

    refused(idp.sign(base_claims(aud=[CLIENT_ID, "other"], azp="other")), "azp")


def test_trusted_extra_audience_with_our_azp_is_accepted(idp, settings):
    """An audience listed in TRUSTED_AUDIENCES may stand next to the client's."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "TRUSTED_AUDIENCES": ["other"]}
    claims = base_claims(aud=[CLIENT_ID, "other"], azp=CLIENT_ID)

    assert validate(idp.sign(claims)) == claims


def test_expired_token_is_refused(idp):
    now = int(time.time())
    refused(idp.sign(base_claims(exp=now - 120, iat=now - 600)), "expired")


def test_small_clock_skew_is_tolerated(idp):
    """exp a few seconds ago is within the leeway."""
    claims = base_claims(exp=int(time.time()) - 5)

    assert validate(idp.sign(claims)) == claims


def test_missing_iat_is_refused(idp):
    refused(idp.sign(base_claims(iat=None)), "iat")


def test_wrong_nonce_is_refused(idp):
    refused(idp.sign(base_claims(nonce="nonce-of-another-login")), "nonce")


def test_missing_nonce_is_refused(idp):
    refused(idp.sign(base_claims(nonce=None)), "nonce")


def test_at_hash_mismatch_is_refused(idp):
    refused(idp.sign(base_claims(at_hash=access_token_hash(access_token="other"))), "at_hash")


def test_token_without_kid_is_accepted_when_the_provider_has_one_key(idp):
    """RFC 7515 §4.1.4: kid is optional; a JWKS with a single RS256 key names it anyway."""
    claims = base_claims()

    assert validate(sign(claims, idp.key, kid=None)) == claims


def test_token_without_kid_ignores_keys_for_other_uses(idp):
    """Encryption keys and keys of other algorithms do not count against "exactly one"."""
    other = public_jwk(rsa_private_key(), "enc-1")
    idp.published += [{**other, "use": "enc"}, {**other, "kid": "ps-1", "alg": "PS256"}]
    claims = base_claims()

    assert validate(sign(claims, idp.key, kid=None)) == claims


def test_token_without_kid_is_refused_when_the_provider_has_several_keys(idp):
    """With several signing keys, a token without kid is ambiguous: refused, not tried on each."""
    idp.rotate()

    refused(sign(base_claims(), idp.key, kid=None), "no kid and the JWKS has 2")


def test_token_without_kid_signed_by_another_key_is_refused(idp):
    refused(sign(base_claims(), rsa_private_key(), kid=None), "bad signature")


def test_empty_kid_is_refused(idp):
    token = jwt.encode(base_claims(), idp.key, algorithm="RS256", headers={"kid": ""})

    refused(token, "kid is not a non-empty string")


@pytest.mark.parametrize("kid", [5, ["key-1"]])
def test_kid_that_is_not_a_string_is_refused(idp, kid):
    """A header kid of another JSON type is a malformed token (400), not a crash."""
    _, payload, signature = idp.sign(base_claims()).split(".")
    header = base64url_encode(json.dumps({"alg": "RS256", "kid": kid}).encode()).decode()

    refused(f"{header}.{payload}.{signature}", "malformed token")


def test_unknown_kid_refetches_jwks_once_then_accepts_rotated_key(idp):
    """After key rotation a token with the new kid is accepted after one JWKS re-fetch."""
    assert validate(idp.sign(base_claims()))
    assert idp.urls_called("/o/.well-known/jwks.json") == 1

    idp.rotate()
    assert validate(idp.sign(base_claims()))
    assert validate(idp.sign(base_claims()))

    assert idp.urls_called("/o/.well-known/jwks.json") == 2
    assert idp.urls_called("/o/.well-known/openid-configuration") == 1


def test_unknown_kid_refetch_is_rate_limited(idp):
    """Made-up kids cause at most one JWKS re-fetch per interval."""
    validate(idp.sign(base_claims()))

    for attempt in range(3):
        refused(sign(base_claims(), idp.key, kid=f"made-up-{attempt}"), "no RS256 signing key")

    assert idp.urls_called("/o/.well-known/jwks.json") == 2


def test_jwks_and_refetch_limit_live_in_the_cache_alias_cache(idp):
    """Keys and the re-fetch limit are in SSO_CLIENT["CACHE_ALIAS"], which processes share."""
    validate(idp.sign(base_claims()))
    refused(sign(base_claims(), idp.key, kid="made-up-1"), "no RS256 signing key")
    caches["default"].clear()

    refused(sign(base_claims(), idp.key, kid="made-up-2"), "no RS256 signing key")

    assert idp.urls_called("/o/.well-known/jwks.json") == 2
    caches["sso"].clear()
    refused(sign(base_claims(), idp.key, kid="made-up-3"), "no RS256 signing key")
    assert idp.urls_called("/o/.well-known/jwks.json") == 3


def test_userinfo_sub_mismatch_is_refused():
    """Userinfo about another subject is refused (OIDC Core §5.3.2)."""
    with pytest.raises(TokenError, match="userinfo sub is not the ID token sub"):
        userinfo_check(userinfo={"sub": "other"}, id_claims={"sub": "alice"})


def test_userinfo_of_the_same_subject_passes():
    assert userinfo_check(userinfo={"sub": "alice"}, id_claims={"sub": "alice"}) is None
