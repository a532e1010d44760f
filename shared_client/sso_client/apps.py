"""App configuration: connects the system checks and the signal receivers."""

from django.apps import AppConfig


class SSOClientConfig(AppConfig):
    """Sign users in through the central OpenID Connect provider."""

    name = "sso_client"
    verbose_name = "Single sign-on client"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from django.core import checks

        from sso_client.checks import check_sso_settings
        from sso_client.receivers import on_user_logged_out

        checks.register(check_sso_settings)
        user_logged_out.connect(on_user_logged_out, dispatch_uid="sso_client.user_logged_out")
