"""The events receiver's service: validate a pushed SET, then apply it to the shadow."""

import logging
from typing import Any

from django.db import transaction

from sso_client import constants as c
from sso_client.event_tokens import SecurityEvent, security_event_validate
from sso_client.exceptions import SSOError, TokenError
from sso_client.models import IdentityLink
from sso_client.provisioning import shadow_user_update
from sso_client.shadow_status import shadow_status_set
from sso_client.signals import sso_event_send
from sso_client.tokens import jti_first_seen

logger = logging.getLogger(__name__)

# What became of an accepted event (all answered 202).
APPLIED = "applied"
IGNORED_TYPE = "ignored: event type not handled"
IGNORED_SUB = "ignored: no shadow of this sub"
IGNORED_OLDER = "ignored: older than the last event applied"


class EventHookFailed(SSOError):
    """A sso_event_received receiver raised: the change is applied, the provider retries."""

    status = 503


def _jti_remember(event: SecurityEvent) -> None:
    """Raise TokenError for a `jti` seen before (RFC 8417 §2.2); remember it otherwise.

    The provider signs every delivery attempt afresh, with a new jti.
    """
    if not jti_first_seen(kind="event-jti", issuer=event.issuer, jti=event.jti):
        raise TokenError("jti seen before")


def _event_claims(event: SecurityEvent) -> dict[str, Any]:
    """Return the claims of a token-claims-change, for the identity the SET is about."""
    claims = event.payload.get("claims")
    if not isinstance(claims, dict):
        raise TokenError("token-claims-change payload has no claims object")
    if claims.get(c.CLAIM_SUB, event.sub) != event.sub:
        raise TokenError("claims name another sub than the token")
    return {**claims, c.CLAIM_SUB: event.sub}


def _change_apply(*, event: SecurityEvent, link: IdentityLink, claims: dict[str, Any]) -> None:
    """Apply one known event to the shadow of `link`."""
    if event.event_type == c.EVENT_CLAIMS_CHANGE:
        # The same update as a sign-in: profile, email, groups (staff flags), picture, hooks.
        shadow_user_update(user=link.user, issuer=link.issuer, sub=link.sub, claims=claims)
        return
    active = event.event_type == c.EVENT_ACCOUNT_ENABLED
    anonymise = event.event_type == c.EVENT_ACCOUNT_PURGED
    shadow_status_set(link=link, active=active, anonymise=anonymise)


def security_event_apply(*, event: SecurityEvent) -> str:
    """Apply a validated event to the shadow of (issuer, sub) in one transaction; return how.

    Idempotent: the shadow ends up the same however often an event arrives. An event whose
    `toe` is older than the last one applied to that shadow changes nothing (deliveries can
    arrive out of order); an unknown sub changes nothing. Both are still acknowledged. Raise
    TokenError for a payload that cannot be applied, EventHookFailed (after committing the
    change) when a sso_event_received receiver raised.
    """
    with transaction.atomic():
        link = (
            IdentityLink.objects.select_for_update()
            .select_related("user")
            .filter(issuer=event.issuer, sub=event.sub)
            .first()
        )
        if link is not None and link.last_event_at and event.occurred_at < link.last_event_at:
            return IGNORED_OLDER
        claims = _event_claims(event) if event.event_type == c.EVENT_CLAIMS_CHANGE else {}
        if link is not None:
            _change_apply(event=event, link=link, claims=claims)
            link.last_event_at = event.occurred_at
            link.save(update_fields=["last_event_at"])
        errors = sso_event_send(
            event_type=event.event_type,
            sub=event.sub,
            user=link.user if link is not None else None,
            payload=event.payload,
            claims=claims,
        )
    if errors:
        raise EventHookFailed(f"{len(errors)} sso_event_received receiver(s) failed")
    return APPLIED if link is not None else IGNORED_SUB


def security_event_receive(*, token: str) -> str:
    """Validate a pushed SET and apply it; return what became of it (RFC 8935 §2).

    Raise TokenError for an invalid or replayed token (nothing changes), ProviderUnavailable or
    ProviderMisconfigured when the provider's keys cannot be fetched, EventHookFailed when a
    project's receiver failed. Event types sso_client does not handle are acknowledged.
    """
    event = security_event_validate(token=token)
    _jti_remember(event)
    outcome = security_event_apply(event=event) if event.known else IGNORED_TYPE
    logger.info(
        "sso_client: security event %s for sub %s: %s", event.event_type, event.sub, outcome
    )
    return outcome
