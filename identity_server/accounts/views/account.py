"""The account area: profile, connected applications, sessions, security events."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import get_application_model

from accounts.forms.profile import ProfileForm
from accounts.selectors import SECURITY_EVENTS_SHOWN, security_events_of, sessions_of
from accounts.services import ProfileEditConflict, user_profile_update
from oidc import constants
from oidc.models import IdPSession
from oidc.selectors import consents_of
from oidc.services.consent import consent_withdraw
from oidc.services.sessions import idp_session_end_by_id, idp_sessions_end_others

Application = get_application_model()


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Open the account area at its first page."""
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Show and save the signed-in user's profile; a stale form is refused for review."""
    user = request.user
    form = ProfileForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(
                user=user,
                data=form.changes(),
                avatar=form.avatar_change(),
                loaded=form.loaded_values,
                request=request,
            )
        except ProfileEditConflict as conflict:
            form.conflict_show(conflict)
            return render(request, "accounts/profile.html", {"form": form}, status=409)
        messages.success(request, "Profile saved")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def applications(request: HttpRequest) -> HttpResponse:
    """List the applications the user allowed, each with "Revoke"."""
    return render(
        request, "accounts/applications.html", {"consents": consents_of(user=request.user)}
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
    return redirect("accounts:applications")


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """List the user's open sessions: device, address, when, and the shops of each."""
    rows = sessions_of(user=request.user, current_sid=_current_sid(request))
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": rows, "others": sum(not row.this_device for row in rows)},
    )


@login_required
@require_http_methods(["POST"])
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    """Sign one session out (this browser's: sign out here); another user's id is a 404."""
    try:
        session = IdPSession.objects.only("sid").get(pk=session_id, user=request.user)
    except IdPSession.DoesNotExist:
        raise Http404("No such session.") from None
    if session.sid == _current_sid(request):
        return _sign_out_here(request, "You are signed out.")
    idp_session_end_by_id(user=request.user, session_id=session_id, request=request)
    messages.success(request, "That session is signed out, and so are its shops.")
    return redirect("accounts:sessions")


@login_required
@require_http_methods(["POST"])
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    """Sign out every session but this browser's."""
    ended = idp_sessions_end_others(
        user=request.user, keep_sid=_current_sid(request), request=request
    )
    messages.success(
        request,
        f"Signed out everywhere else ({ended} session{'' if ended == 1 else 's'})."
        if ended
        else "No other session was open.",
    )
    return redirect("accounts:sessions")


@login_required
@require_http_methods(["POST"])
def sessions_end_all(request: HttpRequest) -> HttpResponse:
    """Sign out every session, this browser's last."""
    idp_sessions_end_others(user=request.user, keep_sid=_current_sid(request), request=request)
    return _sign_out_here(request, "You are signed out everywhere.")


@login_required
def security_events(request: HttpRequest) -> HttpResponse:
    """Show the latest security events of the user's account (read only)."""
    return render(
        request,
        "accounts/security_events.html",
        {"events": security_events_of(user=request.user), "shown": SECURITY_EVENTS_SHOWN},
    )


def _current_sid(request: HttpRequest) -> str | None:
    return request.session.get(constants.SESSION_SID_KEY)


def _sign_out_here(request: HttpRequest, message: str) -> HttpResponse:
    """Sign this browser out (its receiver ends the IdP session and tells the shops)."""
    logout(request)
    messages.success(request, message)
    return redirect("accounts:login")
