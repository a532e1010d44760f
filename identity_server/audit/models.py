"""Append-only security events."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One security-relevant event. Rows are written once and never changed."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        REGISTERED = "registered", "Registered"
        PROFILE_CHANGED = "profile_changed", "Profile changed"
        DEACTIVATED = "deactivated", "Deactivated"
        CLIENT_REGISTERED = "client_registered", "Client registered"
        CLIENT_UPDATED = "client_updated", "Client updated"
        CLIENT_SECRET_ROTATED = "client_secret_rotated", "Client secret rotated"
        CONSENT_GRANTED = "consent_granted", "Application allowed"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Application access withdrawn"
        USERS_IMPORTED = "users_imported", "Users imported"
        SIGN_IN_LOCKED = "sign_in_locked", "Sign-in locked after failures"
        REAUTHENTICATED = "reauthenticated", "Confirmed it was them"
        EMAIL_VERIFIED = "email_verified", "Email verified"
        EMAIL_CHANGE_REQUESTED = "email_change_requested", "Email change requested"
        EMAIL_CHANGED = "email_changed", "Email changed"
        REGISTRATION_ATTEMPT_EXISTING = "registration_existing", "Registration with a used email"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        TOTP_ADDED = "totp_added", "Authenticator app added"
        TOTP_REMOVED = "totp_removed", "Authenticator app removed"
        RECOVERY_CODES_CREATED = "recovery_codes_created", "Recovery codes created"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        PASSKEY_ADDED = "passkey_added", "Passkey added"
        PASSKEY_REMOVED = "passkey_removed", "Passkey removed"
        SESSION_ENDED = "session_ended", "Session ended"
        SESSIONS_ENDED = "sessions_ended", "All sessions ended"
        REACTIVATED = "reactivated", "Reactivated"
        USER_CHANGED = "user_changed", "Account changed by an admin"
        ADMIN_DENIED = "admin_denied", "Admin refused without two-step sign-in"

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it (empty for the system or an anonymous visitor).",
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text="Whose account it concerns.",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        """Insert only: an audit event is never updated."""
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)
