"""Creating an account."""

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import RegisterForm
from accounts.http import safe_next
from accounts.services import user_register


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Create an account, sign the new user in and follow a safe ``next``."""
    next_url = safe_next(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_register(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            given_name=form.cleaned_data["given_name"],
            family_name=form.cleaned_data["family_name"],
            request=request,
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/register.html", {"form": form, "next": next_url})
