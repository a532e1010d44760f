"""Discovery (OIDC Discovery 1.0 and RFC 8414) and the JWKS, readable by registered origins."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required

from oidc.cors import cors_allow, cors_preflight
from oidc.metadata import provider_metadata


@method_decorator(login_not_required, name="dispatch")
class ProviderMetadataView(View):
    """The provider metadata, at every well-known address a client may look it up."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Return the metadata document."""
        return cors_allow(request, JsonResponse(provider_metadata()))

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Answer a browser app's CORS preflight."""
        return cors_preflight(request, methods=("GET",))


class JwksView(dot_views.JwksInfoView):
    """The public signing keys, current and retired."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Return DOT's key set, cross-origin for registered origins only."""
        response = super().get(request, *args, **kwargs)
        del response["Access-Control-Allow-Origin"]
        return cors_allow(request, response)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Answer a browser app's CORS preflight."""
        return cors_preflight(request, methods=("GET",))
