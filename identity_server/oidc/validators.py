"""The oauthlib request validator: our claims, the IdP session id and the real auth_time."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from oidc import constants
from oidc.selectors import (
    claims_supported,
    idp_session_for_code,
    idp_session_for_token_family,
    user_claims,
)
from oidc.services.sessions import idp_session_link_grant, idp_session_link_token_family


class IdPValidator(OAuth2Validator):
    """DOT's validator with claims by scope, ``sid`` and ``auth_time`` from the IdP session.

    The token request comes from the shop's server, not the browser, so the IdP session is
    found through the authorization code (``validate_code``) or the refresh token family
    (``validate_refresh_token``) and kept on the oauthlib request as ``idp_session``.
    """

    def get_oidc_claims(self, token, token_handler, request) -> dict[str, Any]:
        """Return the user's claims released by the granted scopes."""
        return user_claims(user=request.user, scopes=request.scopes)

    def get_userinfo_claims(self, request) -> dict[str, Any]:
        """Return the same claims at the userinfo endpoint (OIDC Core 1.0 §5.3.2)."""
        return user_claims(user=request.user, scopes=request.scopes)

    def get_discovery_claims(self, request) -> list[str]:
        """Return the claims advertised in discovery."""
        return claims_supported()

    def get_id_token_dictionary(self, token, token_handler, request):
        """Add ``sid`` and the time the user really signed in (OIDC Core 1.0 §2)."""
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        session = getattr(request, "idp_session", None)
        if session is not None:
            claims[constants.CLAIM_SID] = session.sid
            claims[constants.CLAIM_AUTH_TIME] = int(session.auth_time.timestamp())
        return claims, expiration_time

    def _create_authorization_code(self, request, code, expires=None):
        """Store the code and link it to the browser's IdP session."""
        grant = super()._create_authorization_code(request, code, expires)
        idp_session_link_grant(
            sid=getattr(request, "idp_sid", None), application=request.client, grant=grant
        )
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        """Validate the code and pick up the IdP session it was issued in."""
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        session = idp_session_for_code(code=code, application=client)
        if session is None or not session.is_active or not request.user.is_active:
            # The user signed out or was deactivated between the code and the token request.
            return False
        request.idp_session = session
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        """Refuse a refresh once the IdP session ended or the user was deactivated."""
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        rt = request.refresh_token_instance
        session = idp_session_for_token_family(token_family=rt.token_family)
        if session is None or not session.is_active or not rt.user.is_active:
            return False
        request.idp_session = session
        return True

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        """Remember the IdP session of a new refresh token family."""
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        session = getattr(request, "idp_session", None)
        if previous is None and session is not None:
            idp_session_link_token_family(session=session, token_family=refresh_token.token_family)
        return refresh_token
