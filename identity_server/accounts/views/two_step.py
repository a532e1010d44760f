"""Two-step sign-in settings: the authenticator app (TOTP) and recovery codes.

Every change asks for a recent sign-in (accounts/services/reauth.py): someone who finds a
signed-in browser must not add their own app or read new recovery codes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.signin import SecondFactorCodeForm
from accounts.services import mfa
from accounts.services import recovery_codes as recovery_codes_service
from accounts.services.reauth import recent_auth_required


@login_required
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    """Show what protects the sign-in besides the password, with the actions on it."""
    return render(
        request, "accounts/two_step.html", {"status": mfa.two_step_status(user=request.user)}
    )


def _recovery_codes_show(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    """Render new recovery codes: this response is the only place they ever appear."""
    return render(
        request,
        "accounts/two_step_recovery_codes.html",
        {"codes": codes, "first": first},
    )


@never_cache
@recent_auth_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Show the QR code and the secret of a new authenticator app; confirm it with a code."""
    user = request.user
    device = mfa.totp_setup_device(user=user)
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.totp_confirm(request=request, user=user, code=form.cleaned_data["code"]):
            if recovery_codes_service.recovery_codes_left(user=user) == 0:
                codes = recovery_codes_service.recovery_codes_create(request=request, user=user)
                return _recovery_codes_show(request, codes, first=True)
            messages.success(request, "Authenticator app added. Sign-in now asks for its code.")
            return redirect("accounts:two_step")
        form.add_error("code", "That code is not right. Check the app and try the next one.")
    context = {
        "form": form,
        "qr_svg": mfa.totp_qr_svg(device=device),
        "secret": mfa.totp_secret_text(device=device),
        "replacing": mfa.totp_device_of(user=user) is not None,
    }
    return render(
        request, "accounts/two_step_totp.html", context, status=400 if form.errors else 200
    )


@recent_auth_required
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator app."""
    if mfa.totp_remove(request=request, user=request.user):
        messages.success(request, "Authenticator app removed. Its codes no longer sign you in.")
    else:
        messages.error(request, "There was no authenticator app to remove.")
    return redirect("accounts:two_step")


@never_cache
@recent_auth_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes with new ones and show them once."""
    try:
        codes = recovery_codes_service.recovery_codes_create(request=request, user=request.user)
    except recovery_codes_service.RecoveryCodesRefused:
        messages.error(
            request, "Add an authenticator app or a passkey first: recovery codes back them up."
        )
        return redirect("accounts:two_step")
    return _recovery_codes_show(request, codes, first=False)
