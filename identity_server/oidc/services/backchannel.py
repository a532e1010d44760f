"""OpenID Connect Back-Channel Logout 1.0: tell the clients of an ended IdP session."""

import json
import logging
import time
import uuid
from functools import partial

import requests
from django.conf import settings
from django.db import transaction
from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from oidc import constants
from oidc.models import IdPSession, SessionClient

logger = logging.getLogger(__name__)


def logout_token_build(*, session: IdPSession, client_id: str) -> str:
    """Return a signed logout token for one client of an IdP session.

    §2.4: iss, aud, iat, jti, events, and sub and sid (both: §2.6 lets the RP match either);
    a nonce is forbidden. Signed RS256 with the current key, whose kid is in the JWKS.
    """
    key = jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    now = int(time.time())
    claims = {
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
        "aud": client_id,
        "iat": now,
        "exp": now + constants.LOGOUT_TOKEN_LIFETIME_SECONDS,
        "jti": str(uuid.uuid4()),
        "sub": str(session.user.sub),
        "sid": session.sid,
        "events": {constants.BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    header = {"alg": "RS256", "typ": constants.LOGOUT_TOKEN_TYP, "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def backchannel_logout_schedule(*, session_ids: list[int]) -> None:
    """Sign the logout tokens now, send them once the transaction that ended the sessions
    commits (and never if it rolls back).

    Signing now, while the sessions' rows are certainly there, lets a transaction that goes
    on to delete them (an account deleted) still tell the shops.
    """
    messages = backchannel_logout_messages(session_ids=session_ids)
    if messages:
        transaction.on_commit(partial(backchannel_logout_post, messages=messages))


def backchannel_logout_messages(*, session_ids: list[int]) -> list[tuple[str, str]]:
    """Return (back-channel URI, logout token) for each client of these sessions."""
    links = (
        SessionClient.objects.filter(session_id__in=session_ids)
        .exclude(application__options__backchannel_logout_uri="")
        .filter(application__options__isnull=False)
        .select_related("session__user", "application__options")
    )
    return [
        (
            link.application.options.backchannel_logout_uri,
            logout_token_build(session=link.session, client_id=link.application.client_id),
        )
        for link in links
    ]


def backchannel_logout_send(*, session_ids: list[int]) -> int:
    """Sign and POST the logout tokens of these sessions now; return how many were taken."""
    return backchannel_logout_post(messages=backchannel_logout_messages(session_ids=session_ids))


def backchannel_logout_post(*, messages: list[tuple[str, str]]) -> int:
    """POST each logout token to its client; return how many acknowledged (200/204).

    A client that is down or slow is logged and skipped: the user's sign-out at the IdP
    never waits on it for longer than ``OIDC_BACKCHANNEL_LOGOUT_TIMEOUT`` seconds.
    """
    delivered = 0
    for uri, token in messages:
        try:
            # §2.5: application/x-www-form-urlencoded, parameter logout_token.
            response = requests.post(
                uri,
                data={"logout_token": token},
                timeout=settings.OIDC_BACKCHANNEL_LOGOUT_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            logger.warning("Back-channel logout to %s failed: %s", uri, error)
            continue
        if response.status_code in (200, 204):
            delivered += 1
        else:
            logger.warning("Back-channel logout to %s answered %s", uri, response.status_code)
    return delivered
