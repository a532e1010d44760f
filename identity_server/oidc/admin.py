"""Admin for OAuth clients: secrets never shown, rotated by an action."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from oauth2_provider.models import get_application_model

from oidc.models import ClientOptions, IdPSession, SessionClient
from oidc.services.clients import client_rotate_secret

Application = get_application_model()


class ClientOptionsInline(admin.StackedInline):
    """The back-channel logout URI lives next to DOT's fields."""

    model = ClientOptions
    can_delete = False
    extra = 1
    max_num = 1


admin.site.unregister(Application)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Clients. The stored secret is a hash and is never displayed, not even masked."""

    list_display = ["name", "client_id", "client_type", "skip_authorization", "redirect_list"]
    list_filter = ["client_type", "skip_authorization"]
    search_fields = ["name", "client_id"]
    exclude = ["client_secret", "hash_client_secret", "user"]
    readonly_fields = ["client_secret_masked", "created", "updated"]
    inlines = [ClientOptionsInline]
    actions = ["rotate_secret"]

    @admin.display(description="client secret")
    def client_secret_masked(self, obj) -> str:
        """Show that a secret exists, never what it is."""
        if obj.client_type == Application.CLIENT_PUBLIC:
            return "— (public client)"
        return "•••• (use the “Rotate secret” action to issue a new one)"

    @admin.display(description="redirect URIs")
    def redirect_list(self, obj) -> str:
        """List the redirect URIs one per line."""
        return format_html_join("", "<div>{}</div>", ((uri,) for uri in obj.redirect_uris.split()))

    @admin.action(description="Rotate secret (the new one is shown once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Issue a new secret for each selected confidential client and show it once."""
        for application in queryset:
            try:
                secret = client_rotate_secret(client_id=application.client_id, actor=request.user)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                continue
            self.message_user(
                request,
                f"New secret for {application.client_id} (copy it now, it is not stored): {secret}",
                messages.WARNING,
            )


class SessionClientInline(admin.TabularInline):
    """The clients that took part in an IdP session."""

    model = SessionClient
    extra = 0
    can_delete = False
    readonly_fields = ["application", "created"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(IdPSession)
class IdPSessionAdmin(admin.ModelAdmin):
    """IdP sessions, read-only."""

    list_display = ["sid_short", "user", "auth_time", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["user__email", "sid"]
    readonly_fields = ["sid", "user", "auth_time", "created", "ended_at"]
    exclude = ["session_key"]
    inlines = [SessionClientInline]

    @admin.display(description="sid")
    def sid_short(self, obj: IdPSession) -> str:
        """Show the start of the sid only."""
        return f"{obj.sid[:8]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
