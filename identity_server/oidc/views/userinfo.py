"""The userinfo endpoint: access tokens in the Authorization header, never cached."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider import views as dot_views
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings

from oidc.checksums import token_checksum
from oidc.cors import cors_allow, cors_preflight

AccessToken = get_access_token_model()


def bearer_challenge(*, error: str = "", description: str = "") -> str:
    """Return an RFC 6750 §3 ``WWW-Authenticate`` value; bare when no token was sent."""
    params = [f'realm="{oauth2_settings.OIDC_ISS_ENDPOINT}"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    return "Bearer " + ", ".join(params)


class UserInfoView(dot_views.UserInfoView):
    """``/o/userinfo/`` (OIDC Core 1.0 §5.3) with RFC 6750's errors and no caching."""

    def _create_userinfo_response(self, request: HttpRequest) -> HttpResponse:
        """Answer the claims of a valid access token, or a Bearer challenge."""
        if "access_token" in request.GET:
            # RFC 9700 §4.3.2: a token in the URL ends up in logs and Referer headers.
            description = "Send the access token in the Authorization header, not the URL."
            response = JsonResponse(
                {"error": "invalid_request", "error_description": description}, status=400
            )
            response["WWW-Authenticate"] = bearer_challenge(
                error="invalid_request", description=description
            )
        else:
            response = super()._create_userinfo_response(request)
            if response.status_code == 401 and not _token_sent(request):
                # RFC 6750 §3.1: no credentials at all gets a challenge without an error code.
                response["WWW-Authenticate"] = bearer_challenge()
            elif response.status_code == 401 and _lacks_openid_scope(request):
                # oauthlib calls a live token without `openid` invalid; RFC 6750 §3.1 says 403.
                description = "The access token was not issued for the openid scope."
                response = JsonResponse(
                    {"error": "insufficient_scope", "error_description": description}, status=403
                )
                response["WWW-Authenticate"] = bearer_challenge(
                    error="insufficient_scope", description=description
                )
        if response.status_code >= 400:
            response["Content-Type"] = "application/json"
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return cors_allow(request, response)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Answer a browser app's CORS preflight."""
        return cors_preflight(request, methods=("GET", "POST"))


def _lacks_openid_scope(request: HttpRequest) -> bool:
    """Return whether the request's bearer token is live but lacks the ``openid`` scope."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    checksum = token_checksum(token.strip())
    access = AccessToken.objects.filter(token_checksum=checksum).first()
    return access is not None and access.is_valid() and not access.allow_scopes(["openid"])


def _token_sent(request: HttpRequest) -> bool:
    """Return whether the request carries a bearer token (header or form body)."""
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
    return scheme.lower() == "bearer" or "access_token" in request.POST
