"""Token introspection (RFC 7662), for confidential clients about their own tokens."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import AbstractApplication, get_application_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthLibRequest

from oidc.selectors import token_introspection
from oidc.views.errors import JsonMethodNotAllowedMixin

Application = get_application_model()


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _authenticated_client(request: HttpRequest) -> AbstractApplication | None:
    """Return the confidential client that authenticated with its secret, or None."""
    core = OAuthLibCore()
    uri, method, body, headers = core._extract_params(request)
    oauth_request = OAuthLibRequest(uri, method, body, headers)
    if not core.server.request_validator.authenticate_client(oauth_request):
        return None
    client = oauth_request.client
    return client if client.client_type == Application.CLIENT_CONFIDENTIAL else None


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class IntrospectView(JsonMethodNotAllowedMixin, View):
    """``POST /o/introspect/``: is this token active, and for whom (RFC 7662 §2)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Authenticate the client, then describe the token if the client may see it."""
        client = _authenticated_client(request)
        if client is None:
            response = _json(
                {
                    "error": "invalid_client",
                    "error_description": "Introspection needs a confidential client's "
                    "credentials (client_secret_basic or client_secret_post).",
                },
                status=401,
            )
            response["WWW-Authenticate"] = f'Basic realm="{oauth2_settings.OIDC_ISS_ENDPOINT}"'
            return response
        token = request.POST.get("token")
        if not token:
            description = "The token parameter is missing."
            return _json({"error": "invalid_request", "error_description": description}, 400)
        return _json(
            token_introspection(
                token=token, client=client, hint=request.POST.get("token_type_hint")
            )
        )
