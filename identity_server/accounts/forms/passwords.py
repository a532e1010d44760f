"""Forms that set a password or need the current one: change, reset, email change."""

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation

from accounts.services.throttle import RETRY_AFTER_ATTRIBUTE

User = get_user_model()


def _new_password_field(label: str, *, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class NewPasswordForm(forms.Form):
    """A new password typed twice, checked by the password validators against ``user``."""

    new_password1 = _new_password_field(
        "New password", help_text=password_validation.password_validators_help_text_html()
    )
    new_password2 = _new_password_field("New password again")

    def __init__(self, data=None, *, user) -> None:
        self.user = user
        super().__init__(data)

    def clean(self) -> dict:
        """Check that both passwords match and pass the password validators."""
        cleaned = super().clean()
        password1, password2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if password1 and password2 and password1 != password2:
            self.add_error("new_password2", "The two passwords differ.")
        elif password1:
            try:
                password_validation.validate_password(password1, self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class CurrentPasswordMixin(forms.Form):
    """The signed-in user's current password, checked by ``authenticate()``.

    So a wrong one counts as a failed sign-in for the throttle (accounts/backends.py) and the
    audit log, like at the sign-in form. ``throttled`` tells the view to answer 429.
    """

    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    throttled = False

    def clean_current_password(self) -> str:
        """Refuse a password that is not the user's (or any try while the throttle waits)."""
        password = self.cleaned_data["current_password"]
        request = self.request  # set by the subclass
        checked = authenticate(request, username=self.user.email, password=password)
        if checked is None or checked.pk != self.user.pk:
            if getattr(request, RETRY_AFTER_ATTRIBUTE, None):
                self.throttled = True
                raise forms.ValidationError(
                    "Too many wrong passwords. Wait a few minutes, then try again."
                )
            raise forms.ValidationError("That is not your current password.")
        return password


class PasswordChangeForm(CurrentPasswordMixin, NewPasswordForm):
    """Change one's password: the current one, then the new one twice."""

    field_order = ["current_password", "new_password1", "new_password2"]

    def __init__(self, data=None, *, user, request) -> None:
        self.request = request
        super().__init__(data, user=user)


class EmailChangeForm(CurrentPasswordMixin, forms.Form):
    """Change one's email: the new address and the current password."""

    new_email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    field_order = ["new_email", "current_password"]

    def __init__(self, data=None, *, user, request) -> None:
        self.user, self.request = user, request
        super().__init__(data)

    def clean_new_email(self) -> str:
        """Return the new address normalised; refuse the current one."""
        email = User.normalize_email_address(self.cleaned_data["new_email"])
        if email == self.user.email:
            raise forms.ValidationError("That is already your email address.")
        return email


class PasswordResetRequestForm(forms.Form):
    """The address to send a reset link to."""

    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
