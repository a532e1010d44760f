"""The provider's metadata: one document for OIDC Discovery 1.0 and RFC 8414."""

from typing import Any
from urllib.parse import urlsplit

from django.urls import reverse
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from oidc import constants
from oidc.selectors import claims_supported

Application = get_application_model()


def issuer_path() -> str:
    """Return the issuer's path without slashes ("o" for http://host/o)."""
    return urlsplit(oauth2_settings.OIDC_ISS_ENDPOINT).path.strip("/")


def provider_metadata() -> dict[str, Any]:
    """Return what this provider supports, true to what each endpoint accepts.

    Endpoint URLs hang off the configured issuer, never the request's Host header.
    """
    issuer = oauth2_settings.OIDC_ISS_ENDPOINT
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"

    def endpoint(name: str) -> str:
        return origin + reverse(f"oauth2_provider:{name}")

    secret_methods = [constants.AUTH_METHOD_BASIC, constants.AUTH_METHOD_POST]
    client_methods = list(secret_methods)
    if Application.objects.filter(client_type=Application.CLIENT_PUBLIC).exists():
        # Public clients (browser apps) authenticate with their client_id and PKCE alone.
        client_methods.append(constants.AUTH_METHOD_NONE)
    return {
        "issuer": issuer,
        "authorization_endpoint": endpoint("authorize"),
        "token_endpoint": endpoint("token"),
        "userinfo_endpoint": endpoint("user-info"),
        "jwks_uri": endpoint("jwks-info"),
        "end_session_endpoint": endpoint("rp-initiated-logout"),
        "revocation_endpoint": endpoint("revoke-token"),
        "introspection_endpoint": endpoint("introspect"),
        "scopes_supported": list(oauth2_settings.SCOPES),
        "response_types_supported": list(oauth2_settings.OIDC_RESPONSE_TYPES_SUPPORTED),
        "response_modes_supported": ["query"],
        "grant_types_supported": list(constants.GRANT_TYPES_SUPPORTED),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": client_methods,
        "revocation_endpoint_auth_methods_supported": client_methods,
        # Introspection is for confidential clients only.
        "introspection_endpoint_auth_methods_supported": secret_methods,
        # RFC 9700 §2.1.1: PKCE with S256 only.
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims_supported(),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": list(constants.PROMPT_VALUES_SUPPORTED),
        # acr_values: ACR_MFA asks for a two-factor sign-in (step-up); ID tokens say which.
        "acr_values_supported": list(constants.ACR_VALUES_SUPPORTED),
        # RFC 9207: `iss` in every authorization response, errors included.
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
