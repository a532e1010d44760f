"""Receivers of framework signals, connected in SSOClientConfig.ready()."""

from typing import Any

from django.http import HttpRequest

from sso_client.sessions import sso_session_forget


def on_user_logged_out(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Forget the SSOSession of a session that logs out, before Django flushes it."""
    if request is not None and hasattr(request, "session"):
        sso_session_forget(session_key=request.session.session_key)
