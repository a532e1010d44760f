"""The project package as an app, for what belongs to no app: the metrics' receivers."""

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """Connect the receivers of the identity server's counters (config/metrics.py)."""

    name = "config"
    label = "idp_metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        """Connect the sign-in and token receivers."""
        from config import metrics

        metrics.connect()
