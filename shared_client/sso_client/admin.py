"""Read-only admin for identity links and SSO sessions: the provider owns these facts."""

from django.contrib import admin
from django.http import HttpRequest

from sso_client.models import IdentityLink, SSOSession


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin):
    list_display = ["user", "issuer", "sub", "updated"]
    search_fields = ["sub", "user__email"]
    readonly_fields = ["user", "issuer", "sub", "picture", "created", "updated"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SSOSession)
class SSOSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "sid", "created"]
    readonly_fields = ["session_key", "sid", "user", "created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
