"""Forms of the account pages (field names are part of docs/contract.md)."""

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.validators import FileExtensionValidator, RegexValidator

from accounts.services.profile import (
    AVATAR,
    PROFILE_FIELDS,
    ProfileEditConflict,
    profile_snapshot,
)
from accounts.services.throttle import RETRY_AFTER_ATTRIBUTE
from accounts.validators import AVATAR_EXTENSIONS, validate_avatar_size

User = get_user_model()


class SignInForm(AuthenticationForm):
    """Email (in the field named ``username``) and password."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        # Also the answer while the sign-in throttle refuses a try: it tells nothing more.
        "invalid_login": "That email and password do not match an active account.",
    }

    #: Seconds to wait when the sign-in throttle refused the try (the view answers 429).
    retry_after: int | None = None

    def get_invalid_login_error(self) -> forms.ValidationError:
        """Return the generic error; note the wait when the throttle refused the try."""
        self.retry_after = getattr(self.request, RETRY_AFTER_ATTRIBUTE, None)
        return super().get_invalid_login_error()


class SecondFactorCodeForm(forms.Form):
    """A code of the authenticator app or a recovery code (views/signin.py, two_step.py)."""

    code = forms.CharField(
        label="Code",
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class CurrentPasswordForm(forms.Form):
    """The signed-in user's current password (re-authentication)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autofocus": True, "autocomplete": "current-password"}),
    )


class RegisterForm(forms.Form):
    """Create an account: email, name and a password typed twice."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    given_name = forms.CharField(label="First name", max_length=150)
    family_name = forms.CharField(label="Last name", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        """Return the email normalised.

        A taken address is not refused here: saying so would list the accounts
        (accounts/services/registration.py answers the same for a new and a taken one).
        """
        return User.normalize_email_address(self.cleaned_data["email"])

    def clean(self) -> dict:
        """Check that both passwords match and pass the password validators."""
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            candidate = User(
                email=cleaned.get("email", ""),
                given_name=cleaned.get("given_name", ""),
                family_name=cleaned.get("family_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ProfileForm(forms.Form):
    """The profile fields a user edits, including the avatar (a plain form: the service saves).

    The hidden ``loaded`` field carries, signed, the values the page was loaded with: bound,
    the form compares the posted values with those (``changes``), not with today's, so only
    what the user changed on this page is written, and the service refuses a field another
    window changed since. A post without it (a script) counts as loaded just now.
    """

    given_name = forms.CharField(label="First name", max_length=150, required=False)
    family_name = forms.CharField(label="Last name", max_length=150, required=False)
    nickname = forms.CharField(max_length=150, required=False)
    phone_number = forms.CharField(
        label="Phone number",
        max_length=32,
        required=False,
        validators=[
            RegexValidator(r"^\+?[0-9 ()-]{4,31}$", "Enter a phone number, e.g. +44 20 7946 0958.")
        ],
    )
    locale = forms.CharField(
        label="Language",
        max_length=35,
        required=False,
        help_text="A language tag such as en-GB or fr.",
        validators=[
            RegexValidator(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", "Enter a tag such as en-GB.")
        ],
    )
    avatar = forms.ImageField(
        label="Picture",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        # The model field's validators: a form field runs them on a new upload only.
        validators=[FileExtensionValidator(AVATAR_EXTENSIONS), validate_avatar_size],
    )
    loaded = forms.CharField(required=False, widget=forms.HiddenInput)

    SNAPSHOT_SALT = "accounts.ProfileForm.loaded"
    CONFLICT_MESSAGE = (
        "Your profile was changed in another window since you opened this page. "
        "Review the fields marked below and save again."
    )

    def __init__(self, data=None, files=None, *, user) -> None:
        current = profile_snapshot(user=user)
        self.loaded_values = current
        if data is not None:
            self.loaded_values = self._snapshot_read(data.get("loaded")) or current
        initial = {name: self.loaded_values.get(name, "") for name in PROFILE_FIELDS}
        initial["avatar"] = user.avatar
        initial["loaded"] = signing.dumps(self.loaded_values, salt=self.SNAPSHOT_SALT)
        super().__init__(data, files, initial=initial)

    def changes(self) -> dict[str, str]:
        """Return the profile fields the user changed on this page, with their new values."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in PROFILE_FIELDS and name in self.data
        }

    def avatar_change(self):
        """Return the new picture, False to remove it, or None when the user left it alone."""
        return self.cleaned_data.get("avatar") if "avatar" in self.changed_data else None

    def conflict_show(self, conflict: ProfileEditConflict) -> None:
        """Show the stored values, the user's changes kept, with the conflicting fields marked.

        The form is now loaded as of the stored values: saving it again replaces them
        knowingly, and fields the user did not change show (and keep) the other edit.
        """
        changes = self.changes()
        self.data = self.data.copy()
        for name in PROFILE_FIELDS:
            if name not in changes:
                self.data[name] = conflict.current[name]
        self.data["loaded"] = signing.dumps(conflict.current, salt=self.SNAPSHOT_SALT)
        for name in conflict.fields:
            if name == AVATAR:
                self.add_error(name, "Your picture was changed in another window: choose again.")
            else:
                shown = conflict.current[name] or "empty"
                self.add_error(name, f"Now “{shown}”, changed in another window.")
        self.add_error(None, self.CONFLICT_MESSAGE)

    @classmethod
    def _snapshot_read(cls, value: str | None) -> dict[str, str] | None:
        """Return the signed snapshot's values, or None when missing or not ours."""
        try:
            snapshot = signing.loads(value or "", salt=cls.SNAPSHOT_SALT)
        except signing.BadSignature:
            return None
        if not isinstance(snapshot, dict) or not all(isinstance(v, str) for v in snapshot.values()):
            return None
        return snapshot


class VerificationResendForm(forms.Form):
    """Ask for a new email verification link."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


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
