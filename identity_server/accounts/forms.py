"""Forms of the account pages (field names are part of docs/contract.md)."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import FileExtensionValidator, RegexValidator

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
        "invalid_login": "That email and password do not match an active account.",
    }


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
        """Refuse an email that already has an account, whatever its case."""
        email = User.normalize_email_address(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email

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
    """The profile fields a user edits, including the avatar (a plain form: the service saves)."""

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
