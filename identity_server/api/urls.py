"""URLs under /api/."""

from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("users/", views.UserListApi.as_view(), name="users"),
    path("service/users/lookup/", views.UserLookupApi.as_view(), name="service-users-lookup"),
    path("service/users/changes/", views.UserChangesApi.as_view(), name="service-users-changes"),
]
