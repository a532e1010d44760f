"""IdP sessions, the clients that took part in them, and per-client options."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from oauth2_provider.settings import oauth2_settings

from oidc import constants


def validate_service_scopes(value: str) -> None:
    """Refuse a name that is not a service scope (``oidc.constants.SERVICE_SCOPES``)."""
    unknown = sorted(set(value.split()) - constants.SERVICE_SCOPES)
    if unknown:
        known = ", ".join(sorted(constants.SERVICE_SCOPES))
        raise ValidationError(f"Unknown service scope: {', '.join(unknown)} (known: {known}).")


class ClientOptions(models.Model):
    """What DOT's Application does not hold about a client."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="options",
    )
    backchannel_logout_uri = models.URLField(
        blank=True,
        max_length=500,
        help_text="OIDC Back-Channel Logout 1.0: where the logout token is POSTed.",
    )
    events_uri = models.URLField(
        blank=True,
        max_length=500,
        help_text="RFC 8935: where Security Event Tokens about its users are POSTed.",
    )
    can_introspect = models.BooleanField(
        default=False,
        help_text=(
            "A resource server: may introspect (RFC 7662) tokens issued to other clients. "
            "Every confidential client may introspect its own."
        ),
    )
    service_scopes = models.CharField(
        blank=True,
        max_length=200,
        validators=[validate_service_scopes],
        help_text=(
            "Space-separated service scopes (e.g. users:read) this confidential client may "
            "obtain for itself with the client credentials grant (RFC 6749 §4.4)."
        ),
    )

    class Meta:
        verbose_name = "client options"
        verbose_name_plural = "client options"

    def __str__(self) -> str:
        return f"Options of {self.application}"

    @property
    def service_scope_set(self) -> frozenset[str]:
        """Return the stored service scopes that are known service scopes."""
        return frozenset(self.service_scopes.split()) & constants.SERVICE_SCOPES


class IdPSession(models.Model):
    """One sign-in at the identity server, named by its random ``sid``."""

    sid = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idp_sessions"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    auth_time = models.DateTimeField()
    # RFC 8176 methods of the last sign-in (pwd, otp, hwk, mfa): ID tokens' amr and acr.
    amr = models.JSONField(default=list, blank=True)
    # What the account's sessions page shows.
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "IdP session"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} since {self.auth_time:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        """Return whether the session has not ended."""
        return self.ended_at is None


class SessionClient(models.Model):
    """A client that received a code or tokens within an IdP session."""

    session = models.ForeignKey(IdPSession, on_delete=models.CASCADE, related_name="clients")
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "application"], name="oidc_sessionclient_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} in {self.session.sid}"


class ClientUser(models.Model):
    """A client that received a code for a user: it knows the user, and what it was granted.

    Account events (docs/events.md) go to these clients, each with the claims its scopes
    release. Written at every authorization code (the last grant's scopes win).
    """

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_links"
    )
    scopes = models.CharField(max_length=500, blank=True, help_text="Space-separated scopes.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="oidc_clientuser_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application} knows {self.user}"


class SessionGrant(models.Model):
    """Carry the ``sid`` from an authorization code to the tokens minted from it.

    The token request comes from the shop's server, without the browser's session, so the
    sid is looked up by the code (while it exists) and then by the refresh token family.
    """

    session = models.ForeignKey(IdPSession, on_delete=models.CASCADE, related_name="grants")
    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="idp_session_link",
    )
    # SHA-256 of the code: outlives the code, so a replayed code can revoke what its first
    # redemption issued (RFC 6749 §4.1.2).
    code_digest = models.CharField(max_length=64, blank=True, db_index=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Grant in {self.session.sid}"


class Consent(models.Model):
    """The scopes a user allowed a third-party client, remembered until withdrawn."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    scopes = models.CharField(max_length=500, help_text="Space-separated scope names.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "application"], name="oidc_consent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} allowed {self.application}: {self.scopes}"

    @property
    def scope_set(self) -> set[str]:
        """Return the allowed scopes as a set."""
        return set(self.scopes.split())
