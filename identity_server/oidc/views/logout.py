"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), repeatable and 500-free."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import redirect
from oauth2_provider.exceptions import (
    ClientIdMissmatch,
    InvalidIDTokenError,
    InvalidOIDCClientError,
    InvalidOIDCRedirectURIError,
)
from oauth2_provider.models import AbstractApplication, get_application_model
from oauth2_provider.views import RPInitiatedLogoutView

from oidc.id_tokens import id_token_audiences, id_token_hint_claims

Application = get_application_model()
User = get_user_model()


def _user_by_sub(subject) -> User | None:
    """Return the user whose ``sub`` this is, or None for anything else."""
    try:
        return User.objects.filter(sub=uuid.UUID(str(subject))).first()
    except ValueError:
        return None


class LogoutView(RPInitiatedLogoutView):
    """``/o/logout/``: DOT's view, reading ``id_token_hint`` by its signature alone.

    DOT looks the hint up among stored ID tokens, which are gone once the first logout
    revoked them: a repeated logout (a second tab, a browser retry) then met an error page.
    The signature and issuer prove the hint is ours; its ``aud`` names the client whose
    registered ``post_logout_redirect_uri`` may be followed. Tokens are revoked by the end
    of the IdP session (``oidc.services.sessions.idp_session_end``), not by DOT here.
    """

    def validate_logout_request_user(self, id_token_hint, client_id):
        """Return the hint's claims (None without a hint); refuse a forged or foreign one."""
        if not id_token_hint:
            return None
        claims = id_token_hint_claims(id_token_hint)
        if claims is None:
            raise InvalidIDTokenError()
        if client_id and client_id not in id_token_audiences(claims):
            raise ClientIdMissmatch()
        return claims

    def get_request_application(self, id_token, client_id) -> AbstractApplication | None:
        """Return the client named by ``client_id`` or the hint's audience; refuse unknown ones."""
        audiences = id_token_audiences(id_token) if id_token else []
        client_id = client_id or (audiences[0] if audiences else None)
        if not client_id:
            return None
        application = Application.objects.filter(client_id=client_id).first()
        if application is None:
            raise InvalidOIDCClientError()
        return application

    def validate_post_logout_redirect_uri(self, application, post_logout_redirect_uri) -> None:
        """DOT's exact-match check; a malformed URI (port above 65535) is refused, not a 500."""
        try:
            super().validate_post_logout_redirect_uri(application, post_logout_redirect_uri)
        except ValueError:
            raise InvalidOIDCRedirectURIError() from None

    def validate_logout_request(self, id_token_hint, client_id, post_logout_redirect_uri):
        """Return ``(application, user of the hint)`` once the request is valid."""
        claims = self.validate_logout_request_user(id_token_hint, client_id)
        application = self.get_request_application(claims, client_id)
        self.validate_post_logout_redirect_uri(application, post_logout_redirect_uri)
        return application, _user_by_sub(claims.get("sub") if claims else None)

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ) -> HttpResponse:
        """Sign out; without a registered place to return to, show the signed-out page."""
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        if post_logout_redirect_uri:
            return response
        messages.info(self.request, "You are signed out.")
        return redirect(settings.LOGOUT_REDIRECT_URL)
