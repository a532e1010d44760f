"""Receivers of Django's authentication signals (framework events we don't own)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from accounts.services import user_sign_in_failed_record
from oidc.services.sessions import idp_session_end, idp_session_start


def on_user_logged_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """Open the IdP session (sid, auth_time) of every sign-in, admin included."""
    idp_session_start(request=request, user=user)


def on_user_logged_out(sender, request: HttpRequest, user, **kwargs) -> None:
    """End the IdP session, whether from our sign-out or RP-initiated logout at /o/logout/."""
    idp_session_end(request=request, user=user)


def on_user_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kw):
    """Record a failed sign-in (the password is never stored: Django cleanses it)."""
    user_sign_in_failed_record(username=credentials.get("username", ""), request=request)


def connect() -> None:
    """Connect the receivers; called once from AccountsConfig.ready()."""
    user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.user_logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="accounts.user_logged_out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="accounts.user_login_failed")
