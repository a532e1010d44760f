"""A read-only view of the audit log."""

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """List and inspect events; nobody adds, changes or deletes them."""

    list_display = ["created", "kind", "subject_user", "actor", "ip"]
    list_filter = ["kind"]
    search_fields = ["subject_user__email", "actor__email", "ip"]
    date_hierarchy = "created"
    readonly_fields = ["created", "kind", "actor", "subject_user", "ip", "data"]
    list_select_related = ["actor", "subject_user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
