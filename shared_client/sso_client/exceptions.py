"""Errors of the sign-in flow, each with a message a person can read."""


class SSOError(Exception):
    """A sign-in that cannot go on; `reason` is for logs and machine clients."""

    status = 400
    title = "Sign-in failed"
    message = "We could not sign you in."

    def __init__(self, reason: str, *, message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if message is not None:
            self.message = message


class ProviderUnavailable(SSOError):
    """The identity provider did not answer, or answered with a server error."""

    status = 502
    title = "Sign-in service unavailable"
    message = "The sign-in service is not reachable right now. Please try again in a moment."


class ProviderMisconfigured(SSOError):
    """The identity provider's metadata does not match this client's settings."""

    status = 502
    title = "Sign-in service misconfigured"
    message = "The sign-in service is not set up correctly. Please contact support."


class TokenError(SSOError):
    """A token failed validation."""

    message = "The answer from the sign-in service could not be verified. Please try again."


class StateError(SSOError):
    """The authorization response does not belong to a sign-in started here."""

    message = "This sign-in link has expired or was already used. Please start again."


class AuthorizationDenied(SSOError):
    """The provider answered the authorization request with an error."""

    message = "The sign-in service did not sign you in."


class AccountDisabled(SSOError):
    """The shadow user is deactivated."""

    title = "Account disabled"
    message = "This account is disabled. Please contact support."


class ProvisioningError(SSOError):
    """The shadow user could not be created or updated."""

    message = "Your account could not be set up here. Please contact support."


class ServiceAPIError(SSOError):
    """The provider refused a call to its service API (e.g. 401/403 for the user lookup)."""

    title = "Service API refused"
    message = "The sign-in service refused the request of this site."
