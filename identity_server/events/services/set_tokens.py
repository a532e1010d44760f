"""Security Event Tokens (RFC 8417), signed like the logout token, one per attempt."""

from typing import Any

from oauth2_provider.settings import oauth2_settings

from events import constants
from oidc.pushed_tokens import pushed_token_sign


def set_build(
    *, event_type: str, sub: str, toe: float, txn: str, client_id: str, payload: dict[str, Any]
) -> str:
    """Return a signed SET telling ``client_id`` of one event about the user ``sub``.

    ``toe`` (the time of the change, with microseconds) and ``txn`` (the outbox event) are
    the same on every attempt; ``jti``, ``iat`` and ``exp`` are new each time, so a receiver
    that saw an attempt's jti refuses only that attempt's replay. RFC 8417 §2.2: no nonce,
    no sid; the subject both as ``sub`` and as an ``iss_sub`` subject identifier.
    """
    issuer = oauth2_settings.OIDC_ISS_ENDPOINT
    claims = {
        "toe": toe,
        "txn": txn,
        "sub": sub,
        "sub_id": {"format": constants.SUB_ID_FORMAT_ISS_SUB, "iss": issuer, "sub": sub},
        "events": {event_type: payload},
    }
    return pushed_token_sign(
        typ=constants.SET_TYP,
        client_id=client_id,
        lifetime=constants.SET_LIFETIME_SECONDS,
        claims=claims,
    )
