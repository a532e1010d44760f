"""Creating an account and verifying its email address."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.registration import RegisterForm, VerificationResendForm
from accounts.http import safe_next
from accounts.services.emails import (
    EmailLinkInvalid,
    email_verification_check,
    email_verification_resend,
    email_verify,
)
from accounts.services.registration import registration_submit

# The address the "check your email" page talks about (this browser typed it).
CHECK_EMAIL_KEY = "registration_email"


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register, then "check your email", whether or not the address already has an account."""
    next_url = safe_next(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration_submit(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            given_name=form.cleaned_data["given_name"],
            family_name=form.cleaned_data["family_name"],
            next_url=next_url,
            request=request,
        )
        request.session[CHECK_EMAIL_KEY] = form.cleaned_data["email"]
        return redirect("accounts:register_sent")
    return render(request, "accounts/register.html", {"form": form, "next": next_url})


@require_http_methods(["GET"])
def register_sent(request: HttpRequest) -> HttpResponse:
    """Say that a mail is on its way, and offer to send the verification link again."""
    email = request.session.get(CHECK_EMAIL_KEY, "")
    form = VerificationResendForm(initial={"email": email})
    return render(request, "accounts/register_sent.html", {"email": email, "form": form})


@require_POST
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    """Send the verification link again: to the signed-in user, or to the address typed.

    The answer is the same whether or not the address has an account waiting for it.
    """
    if request.user.is_authenticated:
        email_verification_resend(email=request.user.email)
        messages.success(
            request, f"If {request.user.email} still needs verifying, a new link is on its way."
        )
        return redirect("accounts:email")
    form = VerificationResendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the email address you registered with.")
        return redirect("accounts:register_sent")
    email = form.cleaned_data["email"]
    email_verification_resend(email=email)
    request.session[CHECK_EMAIL_KEY] = email
    messages.success(
        request,
        "If that address has an account waiting for verification, a new link is on its way. "
        "Links go out at most once a minute.",
    )
    return redirect("accounts:register_sent")


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Show the address to verify (GET), verify it (POST, a click: mail scanners follow links).

    A link that is forged, expired or for an address the account no longer has gets a page
    that says so, never an error.
    """
    try:
        if request.method == "POST":
            verification = email_verify(token=token, request=request)
        else:
            verification = email_verification_check(token=token)
    except EmailLinkInvalid:
        return render(request, "accounts/verify_email_invalid.html", status=400)
    if request.method == "GET":
        return render(request, "accounts/verify_email.html", {"email": verification.user.email})
    next_url = verification.next_url
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = ""  # only relative URLs were signed; never follow anything else
    login_url = reverse("accounts:login")
    if next_url:
        login_url += "?" + urlencode({"next": next_url})
    return render(
        request,
        "accounts/verify_email_done.html",
        {"email": verification.user.email, "login_url": login_url, "next": next_url},
    )
