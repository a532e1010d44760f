"""The link from a local shadow user to its identity at the provider, and local sessions."""

from django.conf import settings
from django.db import models


class IdentityLink(models.Model):
    """Tie a local user to the provider identity (issuer, sub) it shadows."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    # OIDC Core §2: `sub` is at most 255 ASCII characters and unique only within an issuer.
    sub = models.CharField(max_length=255)
    picture = models.URLField(max_length=1000, blank=True)
    # The `toe` (RFC 8417 §2.2) of the last security event applied to this identity: a redelivery
    # that arrives after a newer event is acknowledged and not applied.
    last_event_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "sub"], name="sso_identity_issuer_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.sub} @ {self.issuer}"


class SSOSession(models.Model):
    """Remember which local session belongs to which provider session (`sid`).

    Back-channel logout names the provider session; this finds the local sessions to end.
    The refresh token the sign-in obtained lets the session re-check ask the provider whether
    that session still lives (RFC 7662 introspection); it stays here, server-side, never in a
    cookie, and is never shown.
    """

    session_key = models.CharField(max_length=40, unique=True)
    sid = models.CharField(max_length=255, blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_sessions"
    )
    refresh_token = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SSO session"

    def __str__(self) -> str:
        # Never the session key: it is a bearer credential, and __str__ reaches admin pages.
        return f"SSO session {self.pk} of user {self.user_id} (sid {self.sid or '-'})"


class SyncState(models.Model):
    """Where `manage.py sso_sync` stopped for an issuer: the cursor its next run starts from."""

    issuer = models.CharField(max_length=255, unique=True)
    # Opaque to this site: the provider's `next_cursor` of the last page applied.
    cursor = models.TextField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SSO sync state"

    def __str__(self) -> str:
        return f"sso_sync of {self.issuer}"
