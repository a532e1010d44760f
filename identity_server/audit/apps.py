"""The audit app: an append-only log of security events."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Security events, written by the services in the same transaction as the change."""

    name = "audit"
    verbose_name = "Audit log"
