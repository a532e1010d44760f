"""The oidc app: django-oauth-toolkit glue (claims, clients, keys, IdP sessions, logout)."""

from django.apps import AppConfig


class OidcConfig(AppConfig):
    """OpenID Provider glue around django-oauth-toolkit."""

    name = "oidc"
    verbose_name = "OpenID Connect"
