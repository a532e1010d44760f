"""Views added to django-oauth-toolkit's: discovery with the logout capabilities."""

import json

from django.http import HttpRequest, JsonResponse
from oauth2_provider.views import ConnectDiscoveryInfoView


class DiscoveryView(ConnectDiscoveryInfoView):
    """OpenID Provider metadata, plus what DOT does not know we support."""

    def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        """Add the OIDC Back-Channel Logout 1.0 §2.1 metadata to DOT's document."""
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["backchannel_logout_supported"] = True
        data["backchannel_logout_session_supported"] = True
        data["grant_types_supported"] = ["authorization_code", "refresh_token"]
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        new = JsonResponse(data)
        new["Access-Control-Allow-Origin"] = "*"
        return new
