"""Changing one's password, and resetting a forgotten one by a link in a mail."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms.passwords import NewPasswordForm, PasswordChangeForm, PasswordResetRequestForm
from accounts.services.passwords import (
    password_change,
    password_reset_complete,
    password_reset_minutes,
    password_reset_request,
    password_reset_user,
)

# The reset token moves from the link into the session, and the address bar shows this
# instead, so no page can leak the token in a Referer (as Django's PasswordResetConfirmView).
RESET_SESSION_KEY = "password_reset_token"
RESET_URL_TOKEN = "set-password"  # noqa: S105 (a URL segment, not a secret)


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    """Change the password: this browser stays signed in, every other session ends."""
    form = PasswordChangeForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        ended = password_change(
            user=request.user, password=form.cleaned_data["new_password1"], request=request
        )
        others = f" {ended} other session{'s' if ended != 1 else ''} signed out." if ended else ""
        messages.success(request, f"Password changed.{others}")
        return redirect("accounts:password")
    return render(
        request, "accounts/password.html", {"form": form}, status=429 if form.throttled else 200
    )


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset_request(email=form.cleaned_data["email"], request=request)
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_http_methods(["GET"])
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    """Say that a link is on its way if the account exists."""
    return render(
        request, "accounts/password_reset_sent.html", {"minutes": password_reset_minutes()}
    )


@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Check a reset link, then take the new password; every session of the user ends.

    A used, expired or forged link gets a page that says so and offers a new one.
    """
    if token != RESET_URL_TOKEN:
        if password_reset_user(uidb64=uidb64, token=token) is None:
            return _reset_link_invalid(request)
        request.session[RESET_SESSION_KEY] = token
        return redirect("accounts:password_reset_confirm", uidb64=uidb64, token=RESET_URL_TOKEN)
    user = password_reset_user(uidb64=uidb64, token=request.session.get(RESET_SESSION_KEY, ""))
    if user is None:
        return _reset_link_invalid(request)
    form = NewPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        if request.user.is_authenticated and request.user.pk == user.pk:
            # Sign this browser out first: the reset deletes its session with all the others.
            logout(request)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
        password_reset_complete(
            user=user, password=form.cleaned_data["new_password1"], request=request
        )
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset_set.html", {"form": form, "email": user.email})


@require_http_methods(["GET"])
def password_reset_done(request: HttpRequest) -> HttpResponse:
    """Say the password is set and every session ended; offer to sign in."""
    return render(request, "accounts/password_reset_done.html")


def _reset_link_invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(RESET_SESSION_KEY, None)
    return render(request, "accounts/password_reset_invalid.html", status=400)
