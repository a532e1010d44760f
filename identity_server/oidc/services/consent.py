"""Consent a user gave a third-party client: remembered per user, client and scopes."""

from collections.abc import Iterable

from django.db import transaction
from oauth2_provider.models import AbstractApplication

from oidc.models import Consent


def consent_grant(*, user, application: AbstractApplication, scopes: Iterable[str]) -> Consent:
    """Remember that ``user`` allowed ``application`` these scopes (added to earlier ones)."""
    with transaction.atomic():
        consent, _created = Consent.objects.select_for_update().get_or_create(
            user=user, application=application, defaults={"scopes": ""}
        )
        allowed = consent.scope_set | set(scopes)
        consent.scopes = " ".join(sorted(allowed))
        consent.save(update_fields=["scopes", "updated"])
    return consent


def consent_withdraw(*, user, application: AbstractApplication) -> bool:
    """Forget the user's consent to ``application``; return whether there was one."""
    deleted, _ = Consent.objects.filter(user=user, application=application).delete()
    return bool(deleted)
