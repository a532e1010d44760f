"""The accounts app: people, their credentials and profile."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Connect the receivers of Django's authentication signals."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        """Connect the signal receivers (accounts/signals.py)."""
        from accounts import signals

        signals.connect()
