"""The outbox: one Event per change a client must learn of, one Delivery per client."""

from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings


class Event(models.Model):
    """A change to a user that clients must learn of (a SET event type, or a logout)."""

    type = models.CharField(max_length=200, help_text="An event type URI, or “logout”.")
    # No foreign key: a deleted user's last events outlive the row.
    user_sub = models.UUIDField(db_index=True)
    # The time of the event (the SET's toe), set in Python with its microseconds.
    created = models.DateTimeField(default=timezone.now, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.type.rsplit('/', 1)[-1]} for {self.user_sub}"


class Delivery(models.Model):
    """One event to one client: where it goes, what it says, and how its attempts went."""

    class Kind(models.TextChoices):
        LOGOUT = "logout", "Back-channel logout"
        SET = "set", "Security event token"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    uri = models.URLField(max_length=500)
    # The SET event payload for this client (claims filtered by its scopes); {"sid"} for logout.
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A retryable failure after this fails the delivery (EVENTS_RETRY_FOR_SECONDS after the
    # change; an admin's "retry now" starts the window again).
    give_up_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-id"]
        indexes = [
            # The worker's claim: due pending rows, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="events_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.application} ({self.status})"
