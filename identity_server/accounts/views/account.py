"""The account area: profile and connected applications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import get_application_model

from accounts.forms import ProfileForm
from accounts.services import PROFILE_FIELDS, user_profile_update
from oidc.selectors import consents_of
from oidc.services.consent import consent_withdraw

Application = get_application_model()


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
