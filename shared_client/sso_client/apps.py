"""App configuration: connects the system checks and the signal receivers."""

from django.apps import AppConfig


class SSOClientConfig(AppConfig):
    """Sign users in through the central OpenID Connect provider."""

    name = "sso_client"
    verbose_name = "Single sign-on client"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.core import checks

        from sso_client.checks import check_sso_settings
        from sso_client.receivers import on_user_logged_in, on_user_logged_out

        checks.register(check_sso_settings)
        user_logged_out.connect(on_user_logged_out, dispatch_uid="sso_client.user_logged_out")
        # django.contrib.auth (before sso_client in INSTALLED_APPS) connects update_last_login
        # when the user model has last_login; the replacement skips what the callback wrote.
        if user_logged_in.disconnect(dispatch_uid="update_last_login"):
            user_logged_in.connect(on_user_logged_in, dispatch_uid="sso_client.user_logged_in")
