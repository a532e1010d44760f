"""Admin of the outbox: each event with its deliveries; deliveries to retry or cancel."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from events.models import Delivery, Event
from events.services.delivery import deliveries_cancel, deliveries_retry

DELIVERY_FIELDS = [
    "application",
    "kind",
    "uri",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
    "last_error",
    "delivered_at",
]


class ReadOnlyMixin:
    """Rows written by the services only: the admin looks, and acts through actions."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DeliveryInline(ReadOnlyMixin, admin.TabularInline):
    """An event's deliveries, one per client."""

    model = Delivery
    extra = 0
    can_delete = False
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Events of the outbox, with how each client's delivery went."""

    list_display = ["type", "user_sub", "created"]
    list_filter = ["type"]
    search_fields = ["user_sub"]
    readonly_fields = ["type", "user_sub", "created", "data"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Deliveries: pending, delivered, failing (last error, next attempt); retry or cancel."""

    list_display = [
        "id",
        "event_type",
        "application",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
    ]
    list_filter = ["status", "kind", "application"]
    list_select_related = ["event", "application"]
    search_fields = ["event__user_sub"]
    readonly_fields = ["event", *DELIVERY_FIELDS, "payload", "created", "updated"]
    actions = ["retry_now", "cancel"]

    @admin.display(description="event")
    def event_type(self, obj: Delivery) -> str:
        """Show the last part of the event type URI."""
        return obj.event.type.rsplit("/", 1)[-1]

    def has_deliver_permission(self, request: HttpRequest) -> bool:
        """Retry and cancel need the right to change deliveries (the form stays read-only)."""
        return request.user.has_perm("events.change_delivery")

    @admin.action(description="Retry now (failed or pending)", permissions=["deliver"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Make the selected failed or pending deliveries due now."""
        count = deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} deliveries will be tried again now.", messages.SUCCESS)

    @admin.action(description="Cancel (never try again)", permissions=["deliver"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Cancel the selected failed or pending deliveries."""
        count = deliveries_cancel(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} deliveries cancelled.", messages.SUCCESS)
