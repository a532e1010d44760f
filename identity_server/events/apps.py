"""The events app: the outbox of what the shops must learn, and the worker that delivers it."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Outbox rows written with each change; ``deliver_events`` sends them with retries."""

    name = "events"
    verbose_name = "Events to clients"
