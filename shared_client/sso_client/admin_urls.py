"""Sign staff into the Django admin through SSO; include before admin.site.urls (README.md).

path("admin/", include("sso_client.admin_urls")),
path("admin/", admin.site.urls),
"""

from django.urls import path

from sso_client import views

app_name = "sso_client_admin"

urlpatterns = [
    path("login/", views.admin_login, name="login"),
    # The admin's "Log out" ends the provider's session too, which would otherwise sign the
    # user straight back in.
    path("logout/", views.SSOLogoutView.as_view(), name="logout"),
]
