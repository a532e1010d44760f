"""The api app: JSON endpoints (Django REST framework)."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API of the identity server."""

    name = "api"
    verbose_name = "API"
