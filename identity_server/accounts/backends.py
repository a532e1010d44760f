"""Authentication backend: Django's, behind the sign-in throttle."""

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from accounts.services.throttle import (
    RETRY_AFTER_ATTRIBUTE,
    throttle_check,
    throttle_failure,
    throttle_success,
)

UserModel = get_user_model()


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, behind the sign-in throttle (accounts/services/throttle.py).

    Every ``authenticate()`` goes through here: the sign-in form (the admin's login sends
    staff there), re-authentication, and the forms that ask for the current password. A
    throttled check does not look at the password and fails like a wrong one:
    PermissionDenied makes Django's ``authenticate()`` fire ``user_login_failed`` and return
    None.
    """

    @sensitive_variables("password")
    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        """Return the user when the throttle lets the check run and the password is right."""
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        retry_after = throttle_check(request=request, identifier=username)
        if retry_after is not None:
            if request is not None:
                setattr(request, RETRY_AFTER_ATTRIBUTE, retry_after)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle_failure(request=request, identifier=username)
        else:
            throttle_success(request=request, identifier=username)
        return user

    @sensitive_variables("password")
    async def aauthenticate(
        self, request: HttpRequest | None, username=None, password=None, **kwargs
    ):
        """Run ``authenticate`` (the throttle and the audit log are synchronous)."""
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )
