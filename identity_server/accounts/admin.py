"""Admin for people and groups, adapted to sign-in by email.

Nothing here writes a user directly: every change goes through a service
(accounts/services/admin_changes.py) that records it with the admin as the actor.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import logout
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_pages import confirm_page
from accounts.models import User
from accounts.services import user_deactivate
from accounts.services.admin_changes import (
    ACCOUNT_FIELDS,
    ACTIVE_FIELD,
    AVATAR_FIELD,
    user_admin_change,
    user_admin_create,
    user_admin_delete,
    user_admin_password_set,
    user_reactivate,
    user_sessions_end_by_admin,
)
from accounts.services.profile import PROFILE_FIELDS

# Only a superuser grants or withdraws rights: staff who may edit users would otherwise
# make themselves superusers.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class UserCreationAdminForm(AdminUserCreationForm):
    """Create a user from an email and a password."""

    class Meta:
        model = User
        fields = ["email"]


class UserChangeAdminForm(UserChangeForm):
    """Change a user; the password is only reachable through the admin's password form."""

    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users listed and searched by email and name; every change goes through a service."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "given_name", "family_name", "email_verified", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "email_verified", "groups"]
    search_fields = ["email", "given_name", "family_name", "nickname"]
    readonly_fields = ["sub", "last_login", "date_joined", "updated_at"]
    actions = ["end_sessions", "deactivate", "reactivate"]
    fieldsets = [
        (None, {"fields": ["email", "sub", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "email_verified",
                    "given_name",
                    "family_name",
                    "nickname",
                    "phone_number",
                    "locale",
                    "avatar",
                ]
            },
        ),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined", "updated_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_urls(self):
        """Add the "End all sessions" page of one user."""
        end_sessions = self.admin_site.admin_view(self.end_sessions_view)
        return [
            path("<id>/end-sessions/", end_sessions, name="accounts_user_end_sessions"),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        """Show rights read-only to staff who are not superusers."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            fields += PRIVILEGE_FIELDS
        return fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        """Refuse a superuser's account (email, password, activation) to other staff."""
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        """Refuse deleting a superuser to other staff."""
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request: HttpRequest):
        """List what goes with the user, without asking for rights on each of those models.

        Sessions, tokens and audit rows have read-only admins (no delete right), which would
        make Django refuse to delete any user who ever signed in; the service decides what
        goes (cascade) and what stays (audit rows keep the event, without the user).
        """
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj) -> None:
        """Delete through the service (audited)."""
        user_admin_delete(user=obj, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Delete each selected user through the service (audited)."""
        for user in queryset:
            user_admin_delete(user=user, actor=request.user, request=request)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Create a user through the service; a change is saved whole in save_related."""
        if not change:
            user_admin_create(user=obj, actor=request.user, request=request)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Apply the edit, fields, groups and permissions together, through the service.

        Only the fields the admin changed are written (``form.changed_data``).
        """
        if not change:
            super().save_related(request, form, formsets, change)
            return
        changed = set(form.changed_data)
        user = form.instance
        names = (*PROFILE_FIELDS, *ACCOUNT_FIELDS, ACTIVE_FIELD)
        if ACTIVE_FIELD in changed and not user.is_active and user.pk == request.user.pk:
            # Deactivating oneself ends this browser's session too: response_change signs out.
            request.admin_ended_own_sessions = True
        user_admin_change(
            user=user,
            values={name: getattr(user, name) for name in names if name in changed},
            avatar=form.cleaned_data[AVATAR_FIELD] if AVATAR_FIELD in changed else None,
            groups=form.cleaned_data["groups"] if "groups" in changed else None,
            permissions=(
                form.cleaned_data["user_permissions"] if "user_permissions" in changed else None
            ),
            actor=request.user,
            request=request,
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def response_change(self, request: HttpRequest, obj) -> HttpResponse:
        """Sign out an admin who deactivated their own account."""
        response = super().response_change(request, obj)
        if getattr(request, "admin_ended_own_sessions", False):
            return self._signed_out(request)
        return response

    def _signed_out(self, request: HttpRequest) -> HttpResponse:
        """Sign this browser out: the admin ended their own sessions, this one's too.

        Its session row is gone already; ``logout`` starts a clean one (saving the old one
        would fail).
        """
        logout(request)
        messages.info(request, "Your own sessions ended too: sign in again.")
        return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):
        """Set, reset or disable a password through the service: every session of the user ends.

        Django's view would save the form and keep the admin's own session; here the user
        is signed out everywhere, the admin too when it is their own password (they sign in
        again with it). Django's view still shows the form, its errors and its refusals.
        """
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if user is None or not self.has_change_permission(request, user):
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)
        usable = form.cleaned_data["set_usable_password"]
        if not usable and "unset-password" not in request.POST:
            # Django answers this conflict (two submit buttons without JavaScript).
            return super().user_change_password(request, id, form_url)
        password = form.cleaned_data["password1"] if usable else None
        ended = user_admin_password_set(
            user=user, password=password, actor=request.user, request=request
        )
        self.log_change(request, user, self.construct_change_message(request, form, None))
        if user.pk == request.user.pk:
            # This browser's session ended with the others: sign in again with the password.
            messages.success(request, "Your password changed.")
            return self._signed_out(request)
        done = "Password changed." if usable else "Password sign-in was disabled."
        messages.success(request, f"{done} {_sessions_ended_text(ended)}")
        return HttpResponseRedirect(
            reverse("admin:accounts_user_change", args=[user.pk], current_app=self.admin_site.name)
        )

    def end_sessions_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """Ask, then end every session of one user (the change page's button)."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404("No such user.")
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        change_url = reverse(
            "admin:accounts_user_change", args=[user.pk], current_app=self.admin_site.name
        )
        if request.method == "POST":
            ended = user_sessions_end_by_admin(user=user, actor=request.user, request=request)
            messages.success(request, f"{user}: {_sessions_ended_text(ended)}")
            if user.pk == request.user.pk:
                return self._signed_out(request)
            return HttpResponseRedirect(change_url)
        return confirm_page(
            self,
            request,
            obj=user,
            title=f"End all sessions of {user}?",
            question=(
                f"{user} will be signed out of the identity server and of every shop, and "
                "the applications' tokens will stop working. They can sign in again."
            ),
            submit_label="Yes, end all sessions",
            cancel_url=change_url,
        )

    @admin.action(description="End all sessions of the selected users (and at the shops)")
    def end_sessions(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """End every session of each selected user through the service (audited)."""
        total, own = 0, False
        for user in queryset:
            if self.has_change_permission(request, user):
                total += user_sessions_end_by_admin(user=user, actor=request.user, request=request)
                own = own or user.pk == request.user.pk
        self.message_user(request, _sessions_ended_text(total), messages.SUCCESS)
        return self._signed_out(request) if own else None

    @admin.action(description="Deactivate the selected users (ends their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Deactivate each selected active user through the service (audited)."""
        count, own = 0, False
        for user in queryset.filter(is_active=True):
            if self.has_change_permission(request, user):
                user_deactivate(user=user, actor=request.user, request=request)
                count += 1
                own = own or user.pk == request.user.pk
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)
        return self._signed_out(request) if own else None

    @admin.action(description="Reactivate the selected users")
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Let each selected inactive user sign in again (audited)."""
        count = 0
        for user in queryset.filter(is_active=False):
            if self.has_change_permission(request, user):
                user_reactivate(user=user, actor=request.user, request=request)
                count += 1
        self.message_user(request, f"{count} user(s) reactivated.", messages.SUCCESS)


def _sessions_ended_text(count: int) -> str:
    """Say how many sessions an admin's action ended."""
    if count == 0:
        return "No session was open; any remaining tokens were revoked."
    return f"{count} session(s) ended, at the identity server and at the shops."


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups (e.g. shop-admins), released to the shops in the ``groups`` claim."""

    list_display = ["name"]


# django-otp registers an admin for TOTP devices in which staff could give any user an
# authenticator of their choosing, unaudited. Devices are the user's own business, through
# the account pages; the admin can only end a user's sessions or reset their password.
admin.site.unregister(TOTPDevice)
