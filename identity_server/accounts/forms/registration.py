"""Forms of registration and of the verification mail sent again."""

from django import forms
from django.contrib.auth import get_user_model, password_validation

User = get_user_model()


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


class VerificationResendForm(forms.Form):
    """Ask for a new email verification link."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
