"""The profile form: the person's claims, edited with a check for concurrent edits."""

from django import forms
from django.core import signing
from django.core.validators import FileExtensionValidator, RegexValidator

from accounts.services.profile import (
    AVATAR,
    PROFILE_FIELDS,
    ProfileEditConflict,
    profile_snapshot,
)
from accounts.validators import AVATAR_EXTENSIONS, validate_avatar_size


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
