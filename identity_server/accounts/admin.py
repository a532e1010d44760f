"""Admin for people and groups, adapted to sign-in by email."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from accounts.services import user_deactivate


class UserCreationAdminForm(AdminUserCreationForm):
    """Create a user from an email and a password."""

    class Meta:
        model = User
        fields = ["email"]


class UserChangeAdminForm(UserChangeForm):
    """Change a user; the password is only reachable through Django's reset form."""

    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users listed and searched by email and name, with a deactivate action."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "given_name", "family_name", "email_verified", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "email_verified", "groups"]
    search_fields = ["email", "given_name", "family_name", "nickname"]
    readonly_fields = ["sub", "last_login", "date_joined", "updated_at"]
    actions = ["deactivate"]
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

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Save; unticking "active" deactivates through the service, like the action."""
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            user_deactivate(user=obj, actor=request.user, request=request)

    @admin.action(description="Deactivate the selected users (ends their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Deactivate each selected active user through the service (audited)."""
        count = 0
        for user in queryset.filter(is_active=True):
            user_deactivate(user=user, actor=request.user, request=request)
            count += 1
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups (e.g. shop-admins), released to the shops in the ``groups`` claim."""

    list_display = ["name"]
