"""Consent a user gave a third-party client: remembered per user, client and scopes."""

from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.models import AbstractApplication, get_refresh_token_model

from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc.models import Consent
from oidc.services.tokens import token_families_revoke

RefreshToken = get_refresh_token_model()


def consent_grant(
    *,
    user,
    application: AbstractApplication,
    scopes: Iterable[str],
    request: HttpRequest | None = None,
) -> Consent:
    """Remember that ``user`` allowed ``application`` these scopes (added to earlier ones)."""
    with transaction.atomic():
        consent, _created = Consent.objects.select_for_update().get_or_create(
            user=user, application=application, defaults={"scopes": ""}
        )
        allowed = consent.scope_set | set(scopes)
        if allowed != consent.scope_set:
            consent.scopes = " ".join(sorted(allowed))
            consent.save(update_fields=["scopes", "updated"])
            audit_event_record(
                kind=AuditEvent.Kind.CONSENT_GRANTED,
                actor=user,
                subject_user=user,
                request=request,
                data={"client_id": application.client_id, "scopes": consent.scopes},
            )
    return consent


def consent_withdraw(
    *, user, application: AbstractApplication, request: HttpRequest | None = None
) -> bool:
    """Forget the user's consent to ``application`` and revoke its tokens for the user.

    Return whether there was a consent. The next sign-in at that application asks again.
    """
    with transaction.atomic():
        deleted, _ = Consent.objects.filter(user=user, application=application).delete()
        families = set(
            RefreshToken.objects.filter(
                user=user, application=application, revoked__isnull=True
            ).values_list("token_family", flat=True)
        )
        token_families_revoke(families=families - {None})
        if deleted:
            audit_event_record(
                kind=AuditEvent.Kind.CONSENT_WITHDRAWN,
                actor=user,
                subject_user=user,
                request=request,
                data={"client_id": application.client_id},
            )
    return bool(deleted)
