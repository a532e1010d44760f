"""The token and revocation endpoints: one transaction per request, CORS for browser apps."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized

from oidc import constants
from oidc.cors import cors_allow, cors_preflight
from oidc.views.errors import JsonMethodNotAllowedMixin

# oauthlib's headers for every token endpoint answer, success or error (RFC 6749 §5.1, §5.2).
_TOKEN_RESPONSE_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def _client_challenge(response: HttpResponse) -> HttpResponse:
    """RFC 6749 §5.2: a 401 for a failed client authentication challenges with Basic."""
    if response.status_code == 401:
        response["WWW-Authenticate"] = f'Basic realm="{oauth2_settings.OIDC_ISS_ENDPOINT}"'
    return response


class TokenView(JsonMethodNotAllowedMixin, dot_views.TokenView):
    """``/o/token/``: the code and refresh grants, serialised per code and per token.

    The whole request is one transaction, so the row locks of ``IdPValidator`` hold until
    the new tokens are stored: parallel requests with one code or one refresh token get one
    token pair between them, the others ``invalid_grant``.
    """

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Run the grant in one transaction; only the grants in discovery are offered."""
        if request.POST.get("grant_type") not in constants.GRANT_TYPES_SUPPORTED:
            description = f"Use one of: {', '.join(constants.GRANT_TYPES_SUPPORTED)}."
            response = JsonResponse(
                {"error": "unsupported_grant_type", "error_description": description}, status=400
            )
            response["Cache-Control"] = "no-store"
        else:
            with transaction.atomic():
                response = _client_challenge(self.authorization_flow_token_response(request))
        return cors_allow(request, response, client_id=request.POST.get("client_id", ""))

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(
        self, request: HttpRequest, *args, **kwargs
    ) -> HttpResponse:
        """DOT's token response; the issued token is read back only for a signal receiver.

        DOT looks the new access token up again to send ``app_authorized``: a query per
        token request that nothing here listens to. An error raised while the tokens are
        stored (``invalid_target``, a refresh token rotated meanwhile) comes without
        oauthlib's headers: it gets them here, JSON and never cached (RFC 6749 §5.2).
        """
        if app_authorized.has_listeners(sender=self):
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in {**_TOKEN_RESPONSE_HEADERS, **headers}.items():
            response[name] = value
        return response

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Answer a browser app's CORS preflight."""
        return cors_preflight(request, methods=("POST",))


class RevokeTokenView(JsonMethodNotAllowedMixin, dot_views.RevokeTokenView):
    """``/o/revoke_token/`` (RFC 7009), callable from a registered browser origin."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Revoke the token if it belongs to the calling client."""
        response = super().post(request, *args, **kwargs)
        return cors_allow(
            request, _client_challenge(response), client_id=request.POST.get("client_id", "")
        )

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Answer a browser app's CORS preflight."""
        return cors_preflight(request, methods=("POST",))
