"""URLs under /account/ (docs/contract.md)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("register/", views.register, name="register"),
    path("profile/", views.profile, name="profile"),
    path(
        "applications/<str:client_id>/revoke/",
        views.application_revoke,
        name="application_revoke",
    ),
]
