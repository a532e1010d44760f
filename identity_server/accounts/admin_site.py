"""The identity admin's door: staff need a two-factor sign-in, made at /account/login/.

The admin holds every account and client of every shop, so a stolen staff password alone
must not open it (ASVS 5 V6.3.3: multi-factor for administrative interfaces). Installed in
INSTALLED_APPS in place of ``django.contrib.admin`` (Django's documented way to replace the
default site, through accounts/admin_config.py), so ``admin.site`` and ``@admin.register``
keep working everywhere.
"""

from functools import update_wrapper
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from accounts.http import safe_next
from accounts.services.mfa import user_has_second_factor
from accounts.services.signin import session_has_mfa
from audit.models import AuditEvent
from audit.services import audit_event_record


class IdentityAdminSite(admin.AdminSite):
    """Django's admin site, opened only to active staff signed in with two factors."""

    def has_permission(self, request: HttpRequest) -> bool:
        """Return whether the user is active staff and this sign-in used two factors."""
        return super().has_permission(request) and session_has_mfa(request)

    def admin_view(self, view, cacheable: bool = False):
        """Wrap an admin view: staff signed in with one factor get the explanation page."""
        inner = super().admin_view(view, cacheable)

        def gate(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if self._staff_without_mfa(request) and request.path != reverse(
                "admin:logout", current_app=self.name
            ):
                return self.mfa_required(request)
            return inner(request, *args, **kwargs)

        return update_wrapper(gate, inner)

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Send everyone to the identity server's own sign-in; never check a password here.

        Django's admin login form would sign a staff user in with a password alone, around
        the second step; a POST here authenticates nobody.
        """
        next_url = safe_next(request) or reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return HttpResponseRedirect(next_url)
        if self._staff_without_mfa(request):
            return self.mfa_required(request)
        if request.user.is_authenticated:
            raise PermissionDenied("This account has no access to the administration.")
        return redirect_to_login(next_url, settings.LOGIN_URL)

    def mfa_required(self, request: HttpRequest) -> HttpResponse:
        """Answer 403 with what to do: set up two-step sign-in, then sign in again with it."""
        user = request.user
        with transaction.atomic():
            audit_event_record(
                kind=AuditEvent.Kind.ADMIN_DENIED,
                actor=user,
                subject_user=user,
                request=request,
                data={"path": request.path[:200]},
            )
        next_url = request.get_full_path()
        if request.path == reverse("admin:login", current_app=self.name):
            next_url = safe_next(request) or reverse("admin:index", current_app=self.name)
        return render(
            request,
            "accounts/admin_mfa_required.html",
            {
                "has_second_factor": user_has_second_factor(user),
                "sign_in_again_url": f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}",
            },
            status=403,
        )

    def _staff_without_mfa(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            user.is_authenticated
            and user.is_active
            and user.is_staff
            and not session_has_mfa(request)
        )
