"""The root URLconf every shop project uses, so A and its fork B do not each copy it.

``config/urls.py`` of a project is ``urlpatterns = shop_project_urlpatterns()``; a fork passes its
own routes, which are mounted before ``include("shop.urls")`` and so take precedence over the
shop's routes on the same path (project_b's product page does this).
"""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from shop import views


def shop_project_urlpatterns(
    *before_shop: URLPattern | URLResolver,
) -> list[URLPattern | URLResolver]:
    """Return the project's URL patterns: admin, SSO, the fork's routes, then the shop."""
    return [
        # Before admin.site.urls: staff sign in and out through SSO like everyone else.
        path("admin/login/", views.admin_login, name="admin_login"),
        path("admin/logout/", views.admin_logout, name="admin_logout"),
        path("admin/", admin.site.urls),
        path("oidc/", include("sso_client.urls")),
        *before_shop,
        path("", include("shop.urls")),
        # static() only serves uploads when DEBUG is on; production serves MEDIA_ROOT itself.
        *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
    ]
