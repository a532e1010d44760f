"""Forms of the sign-in: the password, the second step, a password asked again."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.services.throttle import RETRY_AFTER_ATTRIBUTE


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
