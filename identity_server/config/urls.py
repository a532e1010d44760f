"""URL map of the identity server (docs/contract.md, "Identity server URLs")."""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from config import metrics, views
from oidc.metadata import issuer_path
from oidc.views.discovery import ProviderMetadataView
from stack_settings import health

# RFC 8414 §3: the metadata of an issuer with a path lives at the host's root, with the
# issuer's path appended; OIDC clients that look at the root find the same document.
_well_known = [
    path(
        f".well-known/oauth-authorization-server/{issuer_path()}",
        ProviderMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path(".well-known/oauth-authorization-server", ProviderMetadataView.as_view()),
    path(".well-known/openid-configuration", ProviderMetadataView.as_view()),
]

urlpatterns = [
    *_well_known,
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Internal network or METRICS_TOKEN only (stack_settings.metrics).
    path("metrics", metrics.metrics, name="metrics"),
    path("account/", include("accounts.urls")),
    path("o/", include("oidc.urls", namespace="oauth2_provider")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", views.media),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

admin.site.site_header = "Identity server administration"
admin.site.site_title = "Identity server"
