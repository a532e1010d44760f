"""OpenID Connect Back-Channel Logout 1.0: the logout token of an ended IdP session.

Ending a session writes its logout deliveries to the outbox (``events.services.outbox``);
the ``deliver_events`` worker signs and POSTs each token, retrying until the client answers.
"""

from oidc import constants
from oidc.pushed_tokens import pushed_token_sign


def logout_token_build(*, sub: str, sid: str, client_id: str) -> str:
    """Return a signed logout token for one client of the IdP session ``sid``.

    §2.4: iss, aud, iat, jti, events, and sub and sid (both: §2.6 lets the RP match either);
    a nonce is forbidden. Each call makes a new token (a retried delivery is signed afresh:
    new jti, iat and exp).
    """
    return pushed_token_sign(
        typ=constants.LOGOUT_TOKEN_TYP,
        client_id=client_id,
        lifetime=constants.LOGOUT_TOKEN_LIFETIME_SECONDS,
        claims={"sub": sub, "sid": sid, "events": {constants.BACKCHANNEL_LOGOUT_EVENT: {}}},
    )
