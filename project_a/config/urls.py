"""URLs of shop A: the admin (staff sign in through SSO), SSO, the shop, uploaded media.

Shop B, A's fork, mounts its own routes before these (project_b/config/urls.py). Errors render the
project's templates/400.html, 403.html, 403_csrf.html, 404.html and 500.html through Django's
default handlers; an unreachable database answers 503 with templates/503.html instead of the 500
page (stack_settings.faults). Shop B names the same handler500 in its own root URLconf.
"""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

# Relative: shop B imports this module as shop_a_config.urls, where `config` is B's.
from . import views

urlpatterns = [
    # Before admin.site.urls, so that they answer the admin's login and logout.
    path("admin/", include("sso_client.admin_urls")),
    path("admin/", admin.site.urls),
    path("oidc/", include("sso_client.urls")),
    path("", include("shop.urls")),
    re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", views.media),
]

handler500 = "stack_settings.faults.server_error"
