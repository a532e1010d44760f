"""The bridge between Django requests and oauthlib, extended with the IdP session."""

from typing import Any

from django.http import HttpRequest
from oauth2_provider.models import AbstractApplication
from oauth2_provider.oauth2_backends import OAuthLibCore

from oidc import constants


def validated_client(credentials: dict) -> AbstractApplication | None:
    """Return the client loaded while the authorization request was validated, or None.

    oauthlib hands its own request back among the credentials of
    ``validate_authorization_request``; the client it loaded is read from there instead of
    loading it once more.
    """
    client = getattr(credentials.get("request"), "client", None)
    if isinstance(client, AbstractApplication) and client.client_id == credentials.get("client_id"):
        return client
    return None


class IdPOAuthLibCore(OAuthLibCore):
    """Hand the browser's IdP session id, and the client already loaded, to the validator."""

    def create_authorization_response(
        self, request: HttpRequest, scopes: Any, credentials: dict, allow: bool
    ):
        """Add ``idp_sid`` and ``client`` to the credentials; oauthlib sets each on its request.

        With ``client`` set, DOT's validator reuses the Application instead of reading it
        again (``OAuth2Validator._load_application``).
        """
        credentials = {**credentials, "idp_sid": request.session.get(constants.SESSION_SID_KEY)}
        client = validated_client(credentials)
        if client is not None:
            credentials["client"] = client
        return super().create_authorization_response(request, scopes, credentials, allow)
