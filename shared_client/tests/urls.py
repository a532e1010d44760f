from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("oidc/", include("sso_client.urls")),
    path("", lambda request: HttpResponse("home"), name="home"),
]
