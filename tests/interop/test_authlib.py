"""Authlib (Python) as a confidential client: every endpoint found through discovery."""

from __future__ import annotations

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc import rpinitiated
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from conftest import idp_sub
from joserfc import jwt
from joserfc.jwk import KeySet
from support.web import WebClient, query

from interop.idp import browser_leg, issuer, register_client

SCOPE = "openid profile email"


def id_token_claims(
    metadata: dict, token: dict, *, client_id: str, nonce: str | None
) -> CodeIDToken:
    """Validate the token response's ID token as Authlib's OIDC clients do; return its claims.

    Signature against the JWKS with the advertised algorithms, then iss, aud, exp, iat,
    at_hash, and the nonce when one was sent (a refreshed ID token has none, OIDC Core §12.2).
    """
    jwks = requests.get(metadata["jwks_uri"], timeout=30).json()
    decoded = jwt.decode(
        token["id_token"],
        KeySet.import_key_set(jwks),
        algorithms=metadata["id_token_signing_alg_values_supported"],
    )
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"essential": True, "values": [metadata["issuer"]]}},
        {"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


def test_discovery_document_is_valid_for_authlib(stack, metadata):
    """Authlib's validators accept the metadata, which names revocation and introspection."""
    assert metadata["issuer"] == issuer(stack)
    OpenIDProviderMetadata(metadata).validate(metadata_classes=[rpinitiated.OpenIDProviderMetadata])
    for endpoint in ("revocation_endpoint", "introspection_endpoint"):
        assert metadata.get(endpoint, "").startswith(f"{stack.idp}/o/"), (
            f"discovery does not publish {endpoint}"
        )


def test_code_flow_with_pkce_then_userinfo_refresh_introspection_and_revocation(
    stack, customer, metadata, rp_site
):
    """A confidential Authlib client signs in with PKCE S256 and uses every token endpoint."""
    redirect_uri = rp_site.url("/authlib/callback")
    client = register_client(stack, name="Authlib RP", redirect_uris=[redirect_uri])
    client_id = client["client_id"]
    session = OAuth2Session(
        client_id,
        client["client_secret"],
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    callback = browser_leg(WebClient(), url, credentials=(customer.email, customer.password))
    assert callback.startswith(redirect_uri), callback
    assert query(callback)["iss"] == metadata["issuer"]  # RFC 9207 (mix-up defence)

    token = session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    assert token["token_type"].lower() == "bearer"
    claims = id_token_claims(metadata, token, client_id=client_id, nonce=nonce)
    sub = idp_sub(stack, customer.email)
    assert claims["sub"] == sub
    assert claims["aud"] in (client_id, [client_id])

    userinfo = session.get(metadata["userinfo_endpoint"], timeout=30)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == sub
    assert userinfo.json()["email"] == customer.email

    def introspect(value: str) -> dict:
        response = session.introspect_token(metadata["introspection_endpoint"], token=value)
        assert response.status_code == 200, response.text
        return response.json()

    described = introspect(token["access_token"])
    assert described["active"] is True
    assert described["sub"] == sub
    assert described["client_id"] == client_id
    assert "email" not in described

    refreshed = session.refresh_token(
        metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]  # rotation
    if "id_token" in refreshed:
        # OIDC Core §12.2: same iss, sub, aud and auth_time as the original ID token.
        again = id_token_claims(metadata, refreshed, client_id=client_id, nonce=None)
        for name in ("iss", "sub", "aud", "auth_time"):
            assert again[name] == claims[name], name
    assert introspect(refreshed["access_token"])["active"] is True

    revoked = session.revoke_token(
        metadata["revocation_endpoint"],
        token=refreshed["access_token"],
        token_type_hint="access_token",
    )
    assert revoked.status_code == 200, revoked.text
    assert introspect(refreshed["access_token"]) == {"active": False}
    after = session.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        withhold_token=True,
        timeout=30,
    )
    assert after.status_code == 401

    revoked = session.revoke_token(
        metadata["revocation_endpoint"],
        token=refreshed["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
    assert refused.value.error == "invalid_grant"
