"""Receivers of framework signals, connected in SSOClientConfig.ready()."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, update_last_login
from django.http import HttpRequest

from sso_client.constants import LAST_LOGIN_SAVED
from sso_client.sessions import sso_session_forget


def on_user_logged_in(sender: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Save last_login, as Django's update_last_login does, unless the sign-in already did.

    Connected in place of Django's receiver. The callback's shadow INSERT or UPDATE carries
    last_login (provisioning) and marks the user: one statement less per sign-in. Any other
    login() (force_login, a project's password form) goes through Django's receiver.
    """
    if user.__dict__.pop(LAST_LOGIN_SAVED, False):
        return
    update_last_login(sender, user, **kwargs)


def on_user_logged_out(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Forget the SSOSession of a session that logs out, before Django flushes it."""
    if request is not None and hasattr(request, "session"):
        sso_session_forget(session_key=request.session.session_key)
