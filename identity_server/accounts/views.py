"""Account pages: sign in, register, sign out, profile. Thin: forms parse, services write."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import get_application_model

from accounts.forms import ProfileForm, RegisterForm, SignInForm
from accounts.services import PROFILE_FIELDS, user_profile_update, user_register
from oidc.selectors import consents_of
from oidc.services.consent import consent_withdraw

Application = get_application_model()

NEXT_FIELD = "next"


def safe_next(request: HttpRequest) -> str:
    """Return the ``next`` URL if it stays on this site, else ""; never an open redirect."""
    candidate = request.POST.get(NEXT_FIELD) or request.GET.get(NEXT_FIELD) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


class SignInView(auth_views.LoginView):
    """Email and password; ``next`` comes from the /o/authorize/ redirect."""

    form_class = SignInForm
    template_name = "accounts/login.html"


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


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """Ask for confirmation on GET; sign out on POST (a link must not sign anyone out)."""
    if request.method == "POST":
        logout(request)
        messages.info(request, "You are signed out.")
        return redirect(safe_next(request) or settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/logout.html", {"next": safe_next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Show and save the signed-in user's profile."""
    user = request.user
    initial = {name: getattr(user, name) for name in PROFILE_FIELDS}
    initial["avatar"] = user.avatar
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        avatar = form.cleaned_data.get("avatar")
        if avatar is not False and "avatar" not in request.FILES:
            avatar = None  # neither a new picture nor "clear": keep the current one
        user_profile_update(user=user, data=data, avatar=avatar, request=request)
        messages.success(request, "Profile saved")
        return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"form": form, "consents": consents_of(user=user)}
    )


@login_required
@require_http_methods(["POST"])
def application_revoke(request: HttpRequest, client_id: str) -> HttpResponse:
    """Withdraw the user's consent to an application and end its access."""
    application = Application.objects.filter(client_id=client_id).first()
    if application is not None and consent_withdraw(
        user=request.user, application=application, request=request
    ):
        messages.success(request, f"{application.name} can no longer use your account.")
    return redirect("accounts:profile")
