"""The OAuth 2.0 / OpenID Connect endpoints, mounted under /o/ (the issuer's path).

Our own views replace DOT's where OIDC asks for more; DOT's application-management,
token-management and device-flow views are not mounted: they would let any signed-in user
register clients, and the device grant is not offered.
"""

from django.urls import path, re_path

from oidc.views.authorize import AuthorizeView
from oidc.views.discovery import JwksView, ProviderMetadataView
from oidc.views.introspect import IntrospectView
from oidc.views.logout import LogoutView
from oidc.views.token import RevokeTokenView, TokenView
from oidc.views.userinfo import UserInfoView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", AuthorizeView.as_view(), name="authorize"),
    path("token/", TokenView.as_view(), name="token"),
    path("revoke_token/", RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", IntrospectView.as_view(), name="introspect"),
    path("userinfo/", UserInfoView.as_view(), name="user-info"),
    path("logout/", LogoutView.as_view(), name="rp-initiated-logout"),
    path(".well-known/jwks.json", JwksView.as_view(), name="jwks-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        ProviderMetadataView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    # Clients that append RFC 8414's well-known suffix to the issuer find the same document.
    path(".well-known/oauth-authorization-server", ProviderMetadataView.as_view()),
]
