"""Signals sso_client sends, for a project to do its own work when the provider says so."""

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent once a security event from the provider has been applied to the shadow, in the same
# transaction (the events receiver and `sso_sync` both send it, through sso_event_send), with
# keyword arguments: event_type (the event URI, sso_client.constants.EVENT_*), sub (the
# identity's subject), user (its shadow, None when this site has none), payload (the event's
# payload dict) and claims (the claims of a token-claims-change, {} for other events).
sso_event_received = Signal()


class _ReceiverFailed(Exception):
    """Roll back the savepoint of receivers one of which raised."""


def sso_event_send(
    *,
    event_type: str,
    sub: str,
    user: AbstractBaseUser | None,
    payload: dict[str, Any],
    claims: dict[str, Any],
) -> list[Exception]:
    """Send sso_event_received; return the exceptions its receivers raised.

    The receivers run in a savepoint: when one raises, what all of them wrote is undone, and
    the change to the shadow stays (a broken project hook must not keep a deactivation from
    taking effect). The caller decides what a failure means: the events receiver answers 503
    so the provider delivers the event again, and the receivers run again then.
    """
    errors: list[Exception] = []
    try:
        with transaction.atomic():
            responses = sso_event_received.send_robust(
                sender=None,
                event_type=event_type,
                sub=sub,
                user=user,
                payload=payload,
                claims=claims,
            )
            errors = [result for _, result in responses if isinstance(result, Exception)]
            if errors:
                raise _ReceiverFailed
    except _ReceiverFailed:
        for error in errors:
            logger.error(
                "sso_client: a sso_event_received receiver failed on %s for sub %s",
                event_type,
                sub,
                exc_info=error,
            )
    return errors
