from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    # As the README shows: sso_client's admin URLs before admin.site.urls.
    path("admin/", include("sso_client.admin_urls")),
    path("admin/", admin.site.urls),
    path("oidc/", include("sso_client.urls")),
    path("", lambda request: HttpResponse("home"), name="home"),
]
