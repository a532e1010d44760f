"""Signing in and out."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import SignInForm
from accounts.http import safe_next


class SignInView(auth_views.LoginView):
    """Email and password; ``next`` comes from the /o/authorize/ redirect."""

    form_class = SignInForm
    template_name = "accounts/login.html"


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """Ask for confirmation on GET; sign out on POST (a link must not sign anyone out)."""
    if request.method == "POST":
        logout(request)
        messages.info(request, "You are signed out.")
        return redirect(safe_next(request) or settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/logout.html", {"next": safe_next(request)})
