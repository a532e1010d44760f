"""The OAuth 2.0 / OpenID Connect endpoints, mounted under /o/.

Only DOT's protocol endpoints are mounted: its application-management and token-management
views would let any signed-in user register clients.
"""

from django.urls import re_path
from oauth2_provider import urls as dot_urls

from oidc.views import DiscoveryView

app_name = "oauth2_provider"

_discovery = re_path(
    r"^\.well-known/openid-configuration/?$",
    DiscoveryView.as_view(),
    name="oidc-connect-discovery-info",
)

urlpatterns = [
    _discovery,
    *dot_urls.base_urlpatterns,
    *[p for p in dot_urls.oidc_urlpatterns if p.name != "oidc-connect-discovery-info"],
]
