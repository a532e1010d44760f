"""Read-only admin for identity links and SSO sessions: the provider owns these facts."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from sso_client.models import IdentityLink, SSOSession


class ReadOnlyAdmin(admin.ModelAdmin):
    """Show rows; never add, change or delete them here.

    Rows still go away with their user: deleting a user through the admin asks each related
    model's admin for delete permission, which is granted on any page but this admin's own.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        match = request.resolver_match
        own_prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        if match is None or (match.url_name or "").startswith(own_prefix):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(IdentityLink)
class IdentityLinkAdmin(ReadOnlyAdmin):
    """Who is whose shadow; deleting a link would orphan its shadow (its username stays taken)."""

    list_display = ["user", "issuer", "sub", "updated"]
    search_fields = ["sub", "user__email"]
    fields = ["user", "issuer", "sub", "picture", "created", "updated"]


@admin.register(SSOSession)
class SSOSessionAdmin(ReadOnlyAdmin):
    """Which local sessions belong to which provider session.

    The session key is a bearer credential: it is never shown. Deleting a row would keep its
    session alive out of back-channel logout's reach.
    """

    list_display = ["user", "sid", "created"]
    list_select_related = ["user"]
    search_fields = ["user__email", "sid"]
    fields = ["user", "sid", "created"]
