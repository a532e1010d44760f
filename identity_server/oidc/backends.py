"""The bridge between Django requests and oauthlib, extended with the IdP session."""

from typing import Any

from django.http import HttpRequest
from oauth2_provider.oauth2_backends import OAuthLibCore

from oidc import constants


class IdPOAuthLibCore(OAuthLibCore):
    """Hand the browser's IdP session id to the validator when a code is issued."""

    def create_authorization_response(
        self, request: HttpRequest, scopes: Any, credentials: dict, allow: bool
    ):
        """Add ``idp_sid`` to the credentials; oauthlib sets each one on its request."""
        credentials = {**credentials, "idp_sid": request.session.get(constants.SESSION_SID_KEY)}
        return super().create_authorization_response(request, scopes, credentials, allow)
