"""The user: one person, known to every shop by an opaque ``sub``."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.managers import UserManager
from accounts.validators import AVATAR_EXTENSIONS, validate_avatar_size


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account at the identity server.

    ``sub`` is the OpenID Connect subject: random, stable, never the primary key, so shops
    cannot guess or enumerate users (OpenID Connect Core 1.0 §2, "locally unique and never
    reassigned").
    """

    sub = models.UUIDField("subject", default=uuid.uuid4, unique=True, editable=False)
    # unique=True for Django (auth.E003); the Lower() constraint makes it case-insensitive.
    email = models.EmailField("email address", max_length=254, unique=True)
    email_verified = models.BooleanField(default=False)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    nickname = models.CharField(max_length=150, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    locale = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag, e.g. en-GB")
    avatar = models.ImageField(
        upload_to="avatars/",
        blank=True,
        validators=[FileExtensionValidator(AVATAR_EXTENSIONS), validate_avatar_size],
    )
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can sign in to this admin site."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unselect this instead of deleting accounts."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="An account with this email address already exists.",
            ),
        ]
        indexes = [
            # The reconcile API's keyset order (api.selectors.users_changes).
            models.Index(fields=["updated_at", "sub"], name="accounts_user_updated_sub"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        """Normalise the email the way save() does, so validation sees the stored value."""
        super().clean()
        self.email = self.normalize_email_address(self.email)

    def save(self, *args, **kwargs) -> None:
        """Store the email lower-cased, so lookups and the unique constraint agree."""
        self.email = self.normalize_email_address(self.email)
        super().save(*args, **kwargs)

    @staticmethod
    def normalize_email_address(email: str) -> str:
        """Return the email stripped and lower-cased."""
        return (email or "").strip().lower()

    @property
    def name(self) -> str:
        """Return the full name, or "" when the user gave none."""
        return f"{self.given_name} {self.family_name}".strip()

    def get_full_name(self) -> str:
        """Return the full name, else the email (Django's admin calls this)."""
        return self.name or self.email

    def get_short_name(self) -> str:
        """Return the given name, else the email."""
        return self.given_name or self.email


class ImportedAccount(models.Model):
    """Where an account came from: one row of a shop's user table (``manage.py import_users``).

    (source, source_user_id) is the shop's user; several rows point at one user when the same
    email was imported from several shops. ``digests`` are short digests of the row's imported
    values as last seen, so a new run changes only what changed at the source since.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="imported_accounts")
    source = models.CharField(max_length=64, help_text="The name the source was imported under.")
    source_user_id = models.CharField(max_length=64)
    created_account = models.BooleanField(
        default=False, help_text="This row created the account (else it joined an existing one)."
    )
    digests = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_user_id"], name="accounts_imported_source_user_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_user_id}"


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator app is lost; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    created = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Recovery code of {self.user}"


class Passkey(models.Model):
    """A WebAuthn credential: a second factor, and a password-less sign-in on its own."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=100)
    # The authenticator's credential id (base64url) and COSE public key.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class DeletedAccount(models.Model):
    """A tombstone: the ``sub`` of a deleted account and when it went, nothing personal.

    Written when a user row is deleted (accounts/signals.py), so the reconcile API can tell
    the shops to anonymise their shadow even after the account itself is gone.
    """

    sub = models.UUIDField("subject", unique=True, editable=False)
    deleted_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # The reconcile API's keyset order, as the user index.
            models.Index(fields=["deleted_at", "sub"], name="accounts_deleted_at_sub"),
        ]

    def __str__(self) -> str:
        return f"Deleted account {self.sub}"
