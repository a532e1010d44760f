"""Changing the email address: asked here, done when the new address follows its link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms.passwords import EmailChangeForm
from accounts.services.emails import (
    EmailLinkInvalid,
    EmailTaken,
    email_change_check,
    email_change_confirm,
    email_change_request,
)


@login_required
@require_http_methods(["GET", "POST"])
def email(request: HttpRequest) -> HttpResponse:
    """Show the address and whether it is verified; ask to change it (current password)."""
    form = EmailChangeForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["new_email"]
        if email_change_request(user=request.user, new_email=new_email, request=request):
            messages.success(
                request,
                f"We sent a link to {new_email}. Your address changes when you follow it.",
            )
        else:
            messages.error(request, "You asked a moment ago. Wait a minute, then try again.")
        return redirect("accounts:email")
    return render(
        request, "accounts/email.html", {"form": form}, status=429 if form.throttled else 200
    )


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Show the change a link asks for (GET) and make it (POST).

    Works signed in or not: the link itself proves the new address, and the current password
    was given when the change was asked for.
    """
    try:
        if request.method == "POST":
            change = email_change_confirm(token=token, request=request)
        else:
            change = email_change_check(token=token)
    except EmailLinkInvalid:
        return render(request, "accounts/email_confirm_invalid.html", status=400)
    except EmailTaken:
        return render(request, "accounts/email_confirm_taken.html", status=409)
    if request.method == "GET":
        return render(request, "accounts/email_confirm.html", {"change": change})
    return render(request, "accounts/email_confirm_done.html", {"change": change})
