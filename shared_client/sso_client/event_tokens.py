"""Validation of Security Event Tokens (RFC 8417) pushed by the provider (RFC 8935)."""

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sso_client import constants as c
from sso_client.conf import sso_settings
from sso_client.exceptions import TokenError
from sso_client.tokens import audiences_check, event_token_check, provider_jwt_decode

KIND = "security event token"


@dataclass(frozen=True, kw_only=True)
class SecurityEvent:
    """One validated event: who it is about, what happened and when (its `toe`)."""

    issuer: str
    sub: str
    jti: str
    event_type: str
    payload: dict[str, Any]
    occurred_at: datetime | None

    @property
    def known(self) -> bool:
        """Tell whether sso_client applies this event type (RFC 8935 §2: others are ignored)."""
        return self.event_type in c.KNOWN_EVENTS


def _occurred_at(claims: dict[str, Any]) -> datetime:
    """Return the `toe` (RFC 8417 §2.2) as an aware datetime; raise TokenError when unusable.

    Required here, as the order of events depends on it; never later than now (with LEEWAY), or
    one forged-looking date would make every later event of that identity look older.
    """
    if c.CLAIM_TOE not in claims:
        raise TokenError("toe (time of event) missing")
    toe = claims[c.CLAIM_TOE]
    if isinstance(toe, bool) or not isinstance(toe, int | float) or toe < 0:
        raise TokenError("toe is not a NumericDate")
    if toe > time.time() + sso_settings.LEEWAY:
        raise TokenError("toe is in the future")
    # timezone.utc: sso_client supports Python 3.10, which has no datetime.UTC.
    return datetime.fromtimestamp(toe, tz=timezone.utc)


def _subject_check(claims: dict[str, Any]) -> None:
    """Refuse a `sub_id` (RFC 9493 iss_sub) that names another subject than `iss` and `sub`."""
    if c.CLAIM_SUB_ID not in claims:
        return
    sub_id = claims[c.CLAIM_SUB_ID]
    if not isinstance(sub_id, dict) or sub_id.get("format") != "iss_sub":
        raise TokenError("sub_id is not an iss_sub subject identifier")
    if (sub_id.get("iss"), sub_id.get("sub")) != (claims[c.CLAIM_ISS], claims[c.CLAIM_SUB]):
        raise TokenError("sub_id names another subject than iss and sub")


def security_event_validate(*, token: str) -> SecurityEvent:
    """Return the event of a valid SET from the provider, or raise TokenError.

    Checks as for a logout token (tokens.logout_token_validate): RS256 signature by kid from the
    cached JWKS, `typ` secevent+jwt (RFC 8417 §2.3), `iss`, `aud`, `iat` and `exp` within
    LEEWAY, LOGOUT_TOKEN_MAX_AGE and LOGOUT_TOKEN_MAX_LIFETIME, a `jti`, no `nonce`; then a
    legal `sub`, a `sub_id` that agrees with it, `events` holding exactly one event whose
    payload is an object, and, for the event types sso_client applies, a `toe`. Replay (`jti`)
    is the caller's. ProviderUnavailable when the keys cannot be fetched.
    """
    required = [
        c.CLAIM_ISS,
        c.CLAIM_AUD,
        c.CLAIM_IAT,
        c.CLAIM_EXP,
        c.CLAIM_JTI,
        c.CLAIM_EVENTS,
        c.CLAIM_SUB,
    ]
    claims = provider_jwt_decode(token=token, required=required, typ=c.SECEVENT_TYP)
    audiences_check(claims)
    event_token_check(claims, kind=KIND)
    events = claims[c.CLAIM_EVENTS]
    if not isinstance(events, dict) or len(events) != 1:
        raise TokenError("events does not hold exactly one event")
    ((event_type, payload),) = events.items()
    if not isinstance(payload, dict):
        raise TokenError("event payload is not an object")
    # A logout token is typed logout+jwt and goes to the back-channel logout endpoint.
    if event_type == c.BACKCHANNEL_LOGOUT_EVENT:
        raise TokenError("a back-channel logout event is not a security event here")
    _subject_check(claims)
    known = event_type in c.KNOWN_EVENTS
    return SecurityEvent(
        issuer=claims[c.CLAIM_ISS],
        sub=claims[c.CLAIM_SUB],
        jti=claims[c.CLAIM_JTI],
        event_type=event_type,
        payload=payload,
        occurred_at=_occurred_at(claims) if known else None,
    )
