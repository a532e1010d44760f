"""Admins for the admin tests: signed in with two factors, as the admin site asks."""

from django.test import Client

from oidc import constants


def admin_client_for(user) -> Client:
    """Return a test client signed in as ``user`` with a two-factor sign-in (amr ``mfa``)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[constants.SESSION_AMR_KEY] = [
        constants.AMR_PASSWORD,
        constants.AMR_OTP,
        constants.AMR_MFA,
    ]
    session.save()
    return client
