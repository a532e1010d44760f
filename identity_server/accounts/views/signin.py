"""Signing in and out: the password, the second step, re-authentication."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms.signin import CurrentPasswordForm, SecondFactorCodeForm, SignInForm
from accounts.http import safe_next
from accounts.services import mfa, reauth
from accounts.services.signin import (
    sign_in_complete,
    sign_in_pending,
    sign_in_pending_start,
)
from oidc import constants

PASSKEY_SIGN_IN_TEMPLATE = "accounts/_passkey_sign_in.html"
PASSKEY_SECOND_FACTOR_TEMPLATE = "accounts/_passkey_second_factor.html"


def _template_if_present(name: str) -> str | None:
    """Return ``name`` if the template exists (the passkey parts come from their own module)."""
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _too_many_tries(response: HttpResponse, retry_after: int | None) -> HttpResponse:
    """Make a refused try the throttle stopped a 429 with Retry-After (RFC 6585 §4)."""
    if retry_after:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


class SignInView(auth_views.LoginView):
    """Email and password; ``next`` comes from the /o/authorize/ redirect.

    A user with a second factor is not signed in by the password: the sign-in becomes
    pending and the second step (``login_verify``) completes it, keeping ``next``.
    """

    form_class = SignInForm
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs) -> dict:
        """Add the passkey button's template when the passkey module provides it."""
        context = super().get_context_data(**kwargs)
        context["passkey_sign_in_template"] = _template_if_present(PASSKEY_SIGN_IN_TEMPLATE)
        return context

    def form_valid(self, form: SignInForm) -> HttpResponse:
        """Sign in with the password alone, or start the second step."""
        user = form.get_user()
        if mfa.user_has_second_factor(user):
            # A new session key for the pending state: a planted session id learns nothing.
            self.request.session.cycle_key()
            sign_in_pending_start(request=self.request, user=user, methods=[constants.AMR_PASSWORD])
            return HttpResponseRedirect(
                _with_next(reverse("accounts:login_verify"), safe_next(self.request))
            )
        sign_in_complete(request=self.request, user=user, methods=[constants.AMR_PASSWORD])
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        """Show the errors; a try the sign-in throttle refused answers 429 with Retry-After."""
        return _too_many_tries(super().form_invalid(form), form.retry_after)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code of the authenticator app, a recovery code or a passkey."""
    next_url = safe_next(request)
    pending = sign_in_pending(request)
    if pending is None:
        messages.error(request, "Your sign-in took too long or was not started. Sign in again.")
        return HttpResponseRedirect(_with_next(reverse("accounts:login"), next_url))
    user, methods = pending
    form = SecondFactorCodeForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            used = mfa.second_factor_verify(
                request=request, user=user, code=form.cleaned_data["code"]
            )
        except mfa.SecondFactorRefused as refused:
            retry_after = refused.retry_after
            form.add_error(
                "code",
                "Too many wrong codes. Wait a moment and try again."
                if retry_after
                else "That code is not right, or was already used.",
            )
        else:
            sign_in_complete(request=request, user=user, methods=[*methods, constants.AMR_OTP])
            if used.recovery_codes_left is not None:
                messages.warning(
                    request,
                    f"You used a recovery code; {used.recovery_codes_left} left. "
                    "Make new ones under Two-step sign-in if you are running out.",
                )
            return HttpResponseRedirect(next_url or settings.LOGIN_REDIRECT_URL)
    status = mfa.two_step_status(user=user)
    context = {
        "form": form,
        "next": next_url,
        "has_totp": status.totp_device is not None,
        "has_recovery_codes": status.recovery_codes_left > 0,
        "has_passkeys": status.passkeys > 0,
        "passkey_second_factor_template": _template_if_present(PASSKEY_SECOND_FACTOR_TEMPLATE),
    }
    status = 400 if form.errors else 200
    return _too_many_tries(
        render(request, "accounts/login_verify.html", context, status=status), retry_after
    )


@login_required
@never_cache
@sensitive_post_parameters("password", "code")
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Ask for the current password or an authenticator app code, then go back to ``next``."""
    next_url = safe_next(request) or settings.LOGIN_REDIRECT_URL
    has_totp = mfa.totp_device_of(user=request.user) is not None
    posted = request.POST if request.method == "POST" else None
    use_code = has_totp and posted is not None and "code" in posted
    password_form = CurrentPasswordForm(None if use_code else posted)
    code_form = SecondFactorCodeForm(posted if use_code else None) if has_totp else None
    form = code_form if use_code else password_form
    retry_after = None
    if form.is_bound and form.is_valid():
        try:
            if use_code:
                reauth.reauth_with_code(request=request, code=form.cleaned_data["code"])
            else:
                reauth.reauth_with_password(request=request, password=form.cleaned_data["password"])
        except reauth.ReauthRefused as refused:
            retry_after = refused.retry_after
            form.add_error(
                None,
                "Too many wrong tries. Wait a moment and try again."
                if retry_after
                else "That did not match. Try again.",
            )
        else:
            return HttpResponseRedirect(next_url)
    context = {"password_form": password_form, "code_form": code_form, "next": next_url}
    status = 400 if form.errors else 200
    return _too_many_tries(
        render(request, "accounts/reauthenticate.html", context, status=status), retry_after
    )


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """Ask for confirmation on GET; sign out on POST (a link must not sign anyone out)."""
    if request.method == "POST":
        logout(request)
        messages.info(request, "You are signed out.")
        return redirect(safe_next(request) or settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/logout.html", {"next": safe_next(request)})
