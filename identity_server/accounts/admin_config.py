"""``django.contrib.admin``'s app config with the identity admin site (accounts/admin_site.py).

A module of its own: INSTALLED_APPS imports it before any model is ready, and an AppConfig
subclass imported into accounts/apps.py would be taken for the accounts app's own.
"""

from django.contrib.admin.apps import AdminConfig


class IdentityAdminConfig(AdminConfig):
    """``django.contrib.admin`` with IdentityAdminSite as ``admin.site``."""

    default_site = "accounts.admin_site.IdentityAdminSite"
