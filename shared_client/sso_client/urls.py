"""URLs of sso_client; include them under "oidc/" (README.md)."""

from django.urls import path

from sso_client import views

app_name = "sso_client"

urlpatterns = [
    path("login/", views.SSOLoginView.as_view(), name="login"),
    path("callback/", views.SSOCallbackView.as_view(), name="callback"),
    path("logout/", views.SSOLogoutView.as_view(), name="logout"),
    path("backchannel-logout/", views.BackchannelLogoutView.as_view(), name="backchannel_logout"),
    path("events/", views.SecurityEventView.as_view(), name="events"),
]
