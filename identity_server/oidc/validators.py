"""The oauthlib request validator: our claims, the IdP session, and stricter token rules."""

import functools
import json
import re
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from django.db import router, transaction
from django.db.models import QuerySet
from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from oidc import constants
from oidc.checksums import token_checksum
from oidc.cors import origin_allowed
from oidc.selectors import (
    claims_supported,
    client_service_scopes,
    idp_session_for_token_family,
    refresh_token_locked,
    user_claims,
)
from oidc.services.rotation import (
    refresh_token_is_live,
    refresh_token_replayed,
    refresh_token_retire,
    rotation_is_set_based,
)
from oidc.services.sessions import idp_session_link_grant
from oidc.services.tokens import authorization_code_consume, tokens_revoke_for_replayed_code

AccessToken = get_access_token_model()
Grant = get_grant_model()
RefreshToken = get_refresh_token_model()

# The code's Grant row, read (and locked) once per token request and kept on the oauthlib
# request under this name. oauthlib's Request answers every body parameter as an attribute,
# so it is read from the instance's own attributes (``vars``), where no parameter can put it.
_GRANT_ATTR = "idp_grant"
# The refresh token of a refresh request as (presented value, locked row or None), read once.
_REFRESH_ATTR = "idp_refresh_token"
# The refresh token validated for the set-based rotation (``oidc.services.rotation``).
_ROTATING_ATTR = "idp_rotating_refresh_token"
# Set when the token to rotate was found rotated meanwhile: the request is a replay.
_REPLAYED_ATTR = "idp_refresh_token_replayed"
# The family of the first refresh token minted from a code, recorded when the code goes.
_FAMILY_ATTR = "idp_token_family"


def _uri_allowed(check, uri: str) -> bool:
    """Run a DOT URI check; a malformed URI (a port above 65535, say) is simply not allowed."""
    try:
        return check(uri)
    except ValueError:
        return False


class IdPValidator(OAuth2Validator):
    """DOT's validator with claims by scope, ``sid`` and ``auth_time`` from the IdP session.

    The token request comes from the shop's server, not the browser, so the IdP session is
    found through the authorization code (``validate_code``) or the refresh token family
    (``validate_refresh_token``) and kept on the oauthlib request as ``idp_session``.

    The token endpoint runs in one transaction (``oidc.views.token.TokenView``), so the
    row locks taken here make parallel requests with one code or one refresh token queue up:
    the first wins, the others find the code gone or the token rotated.
    """

    def get_oidc_claims(self, token, token_handler, request) -> dict[str, Any]:
        """Return the user's claims released by the granted scopes."""
        return user_claims(user=request.user, scopes=request.scopes)

    def get_userinfo_claims(self, request) -> dict[str, Any]:
        """Return the same claims at the userinfo endpoint (OIDC Core 1.0 §5.3.2)."""
        return user_claims(user=request.user, scopes=request.scopes)

    def get_discovery_claims(self, request) -> list[str]:
        """Return the claims advertised in discovery."""
        return claims_supported()

    def get_id_token_dictionary(self, token, token_handler, request):
        """Add ``sid``, when and how the user really signed in (OIDC Core 1.0 §2, RFC 8176)."""
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        session = getattr(request, "idp_session", None)
        if session is not None:
            claims[constants.CLAIM_SID] = session.sid
            claims[constants.CLAIM_AUTH_TIME] = int(session.auth_time.timestamp())
            amr = list(session.amr or [constants.AMR_PASSWORD])
            claims[constants.CLAIM_AMR] = amr
            claims[constants.CLAIM_ACR] = (
                constants.ACR_MFA if constants.AMR_MFA in amr else constants.ACR_SINGLE_FACTOR
            )
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request) -> str:
        """Sign the ID token as DOT does, without storing it.

        DOT keeps a row per ID token (in a savepoint of its own) for two readers, neither
        of which runs here: its RP-initiated logout looks ``id_token_hint`` up among them
        (``LogoutView`` checks the hint's signature instead), and its ID-token-as-bearer
        check (``validate_jwt_bearer_token`` refuses those). Nothing else reads them, so an
        INSERT per token response is saved.
        """
        claims, _expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        # oauthlib bug #746, as DOT works around it.
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        header = {"typ": "JWT", "alg": request.client.algorithm}
        key = request.client.jwk_key
        if request.client.algorithm == AbstractApplication.RS256_ALGORITHM:
            header["kid"] = key.thumbprint()
        jwt_token = jwt.JWT(
            header=json.dumps(header, default=str), claims=json.dumps(id_token, default=str)
        )
        jwt_token.make_signed_token(key)
        return jwt_token.serialize()

    def save_bearer_token(self, token, request, *args, **kwargs):
        """Store the tokens in the token view's transaction, without DOT's savepoint."""
        with transaction.atomic(using=router.db_for_write(AccessToken), savepoint=False):
            self._save_bearer_token(token, request, *args, **kwargs)
        if vars(request).get(_REPLAYED_ATTR):
            # Raised out here: through the atomic block it would roll back the revocation.
            raise errors.InvalidGrantError(request=request)

    def _authenticate_basic_auth(self, request) -> bool:
        """DOT's Basic authentication; credentials that are not even ASCII simply fail."""
        try:
            return super()._authenticate_basic_auth(request)
        except ValueError:
            return False

    def _load_application(self, client_id, request):
        """Take the client joined to the code or refresh token read first, else DOT's lookup.

        The token request's code (``get_authorization_code_scopes``) or refresh token is read
        with its client before the client authenticates; DOT then reuses ``request.client``
        when its ``client_id`` is the one presented, and authenticates it as usual.
        """
        if request.client is None:
            row = _request_grant(request, code=getattr(request, "code", None))
            if row is None and request.grant_type == constants.GRANT_REFRESH_TOKEN:
                row = _refresh_token_read(request, token=request.refresh_token)
            if row is not None and row.application.client_id == client_id:
                request.client = row.application
        return super()._load_application(client_id, request)

    def _check_secret(self, provided_secret, stored_secret) -> bool:
        """Refuse secret authentication for a client that has no secret (a public client).

        DOT compares an empty secret with the empty stored value, or with the hash of the
        empty string it stores for a public client, and lets it pass: any public client would
        authenticate like a confidential one (introspection, client credentials). No secret
        is ever empty, so an empty one proves nothing.
        """
        if not stored_secret or not provided_secret:
            return False
        return super()._check_secret(provided_secret, stored_secret)

    # Authorization endpoint

    def validate_silent_login(self, request) -> bool:
        """Return True: the authorization view decides ``prompt=none`` before oauthlib asks.

        oauthlib's request has no browser session; ``oidc.views.authorize`` answers
        ``login_required`` itself when nobody is signed in or a new sign-in is needed.
        """
        return True

    def validate_silent_authorization(self, request) -> bool:
        """Return True: the authorization view answers ``consent_required`` itself."""
        return True

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs) -> bool:
        """Match the registered URIs exactly; a malformed URI is refused, never a 500."""
        return _uri_allowed(request.client.redirect_uri_allowed, redirect_uri)

    def _create_authorization_code(self, request, code, expires=None):
        """Store the code and link it to the browser's IdP session."""
        _authorization_values_check(request)
        grant = super()._create_authorization_code(request, code, expires)
        idp_session_link_grant(
            sid=getattr(request, "idp_sid", None), application=request.client, grant=grant
        )
        return grant

    def is_origin_allowed(self, client_id, origin, request, *args, **kwargs) -> bool:
        """Let oauthlib add CORS headers for a registered origin; a malformed one is not."""
        return origin_allowed(request.client, origin)

    # Token endpoint: authorization code

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request) -> list[str]:
        """Lock and read the code once: every later step of the exchange uses this row.

        oauthlib asks for the scopes first (to pick the OpenID grant), before the client is
        authenticated; ``validate_code`` then checks that the code belongs to that client.
        DOT reads the Grant again for the scopes, the nonce, the PKCE challenge, the
        redirect URI, the resource indicators and its deletion: six more queries. The client
        comes with it, for ``_load_application``.
        """
        grant = _grant_locked(code=code)
        vars(request)[_GRANT_ATTR] = grant
        return grant.scope.split() if grant is not None else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        """Check the locked code, its IdP session and its user, and punish a replay.

        A code that no longer exists but was redeemed before is a replay: the tokens of its
        first redemption are revoked (RFC 6749 §4.1.2).
        """
        grant = _request_grant(request, code=code)
        if grant is None:
            grant = _grant_locked(code=code)
        if grant is None or grant.application_id != client.pk:
            tokens_revoke_for_replayed_code(code=code)
            return False
        if grant.is_expired():
            return False
        link = grant.idp_session_link if hasattr(grant, "idp_session_link") else None
        session = link.session if link else None
        if session is None or not session.is_active or not grant.user.is_active:
            # The user signed out or was deactivated between the code and the token request.
            return False
        vars(request)[_GRANT_ATTR] = grant
        request.session_grant = link
        request.idp_session = session
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        return True

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request) -> str | None:
        """Return the nonce of the code read by ``get_authorization_code_scopes``."""
        grant = _request_grant(request, code=code)
        if grant is None:
            return super().get_authorization_code_nonce(client_id, code, redirect_uri, request)
        return grant.nonce or None

    def get_code_challenge(self, code, request):
        """Return the PKCE challenge of the code locked by ``validate_code``."""
        return vars(request)[_GRANT_ATTR].code_challenge or None

    def get_code_challenge_method(self, code, request):
        """Return the PKCE method of the code locked by ``validate_code``."""
        return vars(request)[_GRANT_ATTR].code_challenge_method or None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *a, **kw):
        """Require the very ``redirect_uri`` the code was issued for (RFC 6749 §4.1.3).

        Every authorization request here carries a redirect_uri (OIDC Core 1.0 §3.1.2.1), so
        a token request without one is refused rather than given the client's default.
        """
        if getattr(request, "using_default_redirect_uri", False):
            return False
        return _uri_allowed(vars(request)[_GRANT_ATTR].redirect_uri_allowed, redirect_uri)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """Delete the code read by ``validate_code`` (DOT selects it again to delete it)."""
        grant = _request_grant(request, code=code)
        link = vars(request).get("session_grant")
        if grant is None or link is None:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
            return
        # The row is locked since validate_code: it is there to delete.
        authorization_code_consume(
            grant=grant, link=link, token_family=vars(request).get(_FAMILY_ATTR)
        )

    def _check_and_set_request_resource(self, request) -> None:
        """RFC 8707 resource indicators, with the code's Grant as read by ``validate_code``.

        DOT's own check reads the Grant once more for the code; for the other grants it runs
        unchanged. For the code it is run as for a grant without stored resources, then the
        narrowing against the code's resources follows DOT's rules.
        """
        grant = _request_grant(request, code=getattr(request, "code", None))
        if request.grant_type != constants.GRANT_AUTHORIZATION_CODE or grant is None:
            super()._check_and_set_request_resource(request)
            return
        request.grant_type = constants.GRANT_CLIENT_CREDENTIALS
        try:
            # Normalises and validates request.resource; no grant lookup for this type.
            super()._check_and_set_request_resource(request)
        finally:
            request.grant_type = constants.GRANT_AUTHORIZATION_CODE
        granted = grant.resource or []
        if request.resource and granted:
            for resource in request.resource:
                if resource not in granted:
                    raise errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=(
                            f"The requested resource '{resource}' is not allowed. Token "
                            "request cannot escalate resource permissions beyond the "
                            "original authorization grant"
                        ),
                        request=request,
                    )
        elif granted:
            self._validate_resource_uris(request, granted)
            request.resource = granted

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        """Store the access token; no ID token row to link it to (``finalize_id_token``).

        DOT verifies the new ID token's signature again and looks its row up to link them.
        """
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    # Token endpoint: refresh token

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        """Apply DOT's rules to the locked token; refuse it once its IdP session or user is gone.

        DOT's rules: the unrevoked row of the checksum is preferred; a revoked token revokes
        its family (reuse protection) and is refused; an orphan (no access token) is refused,
        and so is a token ``REFRESH_TOKEN_EXPIRE_SECONDS`` after its access token expired; the
        token must belong to the authenticated client.
        """
        if not rotation_is_set_based():
            return self._validate_refresh_token_by_dot(refresh_token, client, request)
        rt = _refresh_token_read(request, token=refresh_token)
        if rt is None:
            return False
        if rt.revoked is not None:
            # RFC 9700 §4.14.2: a rotated (or revoked) token presented again.
            refresh_token_replayed(refresh_token=rt)
            return False
        if not refresh_token_is_live(refresh_token=rt):
            return False
        request.user = rt.user
        # The raw token presented: the stored column is blank (hashed at rest).
        request.refresh_token = refresh_token
        # DOT's get_original_scopes and resource checks read it from here.
        request.refresh_token_instance = rt
        if rt.application_id != client.pk:
            return False
        session = rt.family_session
        if session is None or not session.is_active or not rt.user.is_active:
            # The user signed out or was deactivated since the token was issued.
            return False
        request.idp_session = session
        vars(request)[_ROTATING_ATTR] = rt
        return True

    def _validate_refresh_token_by_dot(self, refresh_token, client, request) -> bool:
        """Lock the refresh token, let DOT validate it, then check its IdP session and user.

        With a grace period configured DOT's rotation runs, and so does its validation.
        """
        checksum = token_checksum(refresh_token)
        # RFC 9700 §4.14.2: one rotation per token. The lock makes parallel refreshes queue;
        # each later one then sees the token already rotated (a replay, revoking the family).
        list(
            RefreshToken.objects.select_for_update()
            .filter(token_checksum=checksum)
            .values_list("pk", flat=True)
        )
        if not super().validate_refresh_token(refresh_token, client, request):
            return False
        rt = request.refresh_token_instance
        session = idp_session_for_token_family(token_family=rt.token_family)
        if session is None or not session.is_active or not rt.user.is_active:
            return False
        request.idp_session = session
        return True

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """Rotate a refresh token validated for it set-based; anything else as DOT does.

        DOT's own steps for rotation without a grace period: the resource indicators (RFC
        8707, carried over from the old token), the old token revoked with its access token
        deleted, and a new pair in the same family (``oidc.services.rotation``).
        """
        previous = vars(request).get(_ROTATING_ATTR)
        if (
            previous is None
            or request.grant_type != constants.GRANT_REFRESH_TOKEN
            or not token.get("refresh_token")
        ):
            return super()._save_bearer_token(token, request, *args, **kwargs)
        if "scope" not in token:
            raise errors.FatalClientError("Failed to renew access token: missing scope")
        self._check_and_set_request_resource(request)
        expires = timezone.now() + timedelta(
            seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        )
        if not refresh_token_retire(refresh_token=previous):
            # A parallel request rotated it after it was read (where rows are not locked):
            # this one is the replay (RFC 9700 §4.14.2), refused by save_bearer_token.
            refresh_token_replayed(refresh_token=previous)
            vars(request)[_REPLAYED_ATTR] = True
            return
        access_token = self._create_access_token(
            expires, request, token, source_refresh_token=previous
        )
        self._create_refresh_token(request, token["refresh_token"], access_token, previous)

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        """Keep the family of the first refresh token for the code's IdP session link.

        ``invalidate_authorization_code`` writes it on the link as it unlinks the code.
        """
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        if previous is None:
            vars(request)[_FAMILY_ATTR] = refresh_token.token_family
        return refresh_token

    # Token endpoint: client credentials (service access)

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        """Let a client registered with service scopes also use the client credentials grant.

        DOT's Application holds one grant type (authorization code for all of ours); a
        confidential client with service scopes may besides obtain a token for itself
        (RFC 6749 §4.4), for those scopes only. A public client never may.
        """
        if grant_type != constants.GRANT_CLIENT_CREDENTIALS:
            return super().validate_grant_type(
                client_id, grant_type, client, request, *args, **kwargs
            )
        scopes = client_service_scopes(application=client)
        # Only oauthlib's client credentials grant calls this with its grant type, before it
        # validates the scopes: the mark tells validate_scopes which rules apply.
        vars(request)[_SERVICE_GRANT_MARK] = scopes
        return bool(scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        """Without a ``scope``, a client credentials token gets all the client's service scopes.

        RFC 6749 §3.3 lets the server use a default; ``openid`` (the default for users) means
        nothing without a user.
        """
        service = _service_grant_scopes(request)
        if service is not None:
            return sorted(service)
        return super().get_default_scopes(client_id, request, *args, **kwargs)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        """Keep service scopes to the client credentials grant, and user scopes out of it.

        A client credentials request may name only service scopes the client was registered
        for; an authorization request naming a service scope is refused (``invalid_scope``,
        RFC 6749 §3.3, §4.1.2.1), so no user's token ever carries one.
        """
        requested = set(scopes)
        service = _service_grant_scopes(request)
        if service is not None:
            return bool(requested) and requested <= service
        if requested & constants.SERVICE_SCOPES:
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    # Resource endpoints (userinfo, the API)

    def validate_bearer_token(self, token, scopes, request) -> bool:
        """Accept a live access token of an active user, nothing else."""
        if not super().validate_bearer_token(token, scopes, request):
            return False
        user = request.user
        if user is not None and not user.is_active:
            request.oauth2_error = _invalid_token("The user of this access token is disabled.")
            return False
        # A client's own token (client credentials) has no user whose claims could be
        # released (OIDC Core 1.0 §5.3: userinfo is about the authenticated end-user).
        return user is not None or constants.SCOPE_OPENID not in scopes

    def validate_jwt_bearer_token(self, token, scopes, request) -> bool:
        """Refuse an ID token presented as a bearer token.

        An ID token tells a client who signed in; it is no credential for an API
        (OIDC Core 1.0 §2: its audience is the client, not a resource server).
        """
        if token:
            request.oauth2_error = _invalid_token("Only access tokens are accepted here.")
        return False


# Set by validate_grant_type on a client credentials token request: the client's service scopes.
# oauthlib's Request answers every query and body parameter as an attribute, so the mark is read
# from the instance's own attributes, where a parameter of that name cannot put it.
_SERVICE_GRANT_MARK = "idp_service_grant_scopes"


@functools.cache
def _grants_for_exchange() -> QuerySet:
    """Return the query of ``_grant_locked`` but its code, built once per process."""
    return Grant.objects.select_for_update(of=("self",)).select_related(
        "user", "application", "idp_session_link__session"
    )


def _grant_locked(*, code: str):
    """Return the Grant of ``code`` locked, with its user, client and IdP session, or None.

    The lock makes parallel exchanges of one code queue up: the first wins, the others find
    the code gone (the token view's transaction holds it until the tokens are stored).
    """
    # Grant.code is unique: no ORDER BY ... LIMIT 1 as first() would add.
    return next(iter(_grants_for_exchange().filter(code=code)), None)


def _refresh_token_read(request, *, token: str | None):
    """Return the refresh token ``token`` of this request, locked, read once; or None.

    Only where rotation is set-based: DOT's own rotation reads the token itself.
    """
    if not token or not rotation_is_set_based():
        return None
    read = vars(request).get(_REFRESH_ATTR)
    if read is None or read[0] != token:
        read = (token, refresh_token_locked(token=token))
        vars(request)[_REFRESH_ATTR] = read
    return read[1]


def _request_grant(request, *, code: str | None):
    """Return the Grant read for ``code`` in this token request, or None."""
    grant = vars(request).get(_GRANT_ATTR)
    return grant if grant is not None and code and grant.code == code else None


def _service_grant_scopes(request) -> frozenset[str] | None:
    """Return the client's service scopes in a client credentials token request, else None."""
    return vars(request).get(_SERVICE_GRANT_MARK)


# RFC 7636 §4.2: a code challenge is 43 to 128 unreserved characters.
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
# The column that stores a nonce on the code (DOT's Grant.nonce).
NONCE_MAX_LENGTH = 255


def _authorization_values_check(request) -> None:
    """Refuse values the code cannot hold, as invalid_request rather than a database error."""
    if request.code_challenge and not _CODE_CHALLENGE.fullmatch(request.code_challenge):
        raise errors.InvalidRequestError(
            description="code_challenge must be 43 to 128 characters (RFC 7636 §4.2).",
            request=request,
        )
    if request.nonce and len(request.nonce) > NONCE_MAX_LENGTH:
        raise errors.InvalidRequestError(
            description=f"nonce must be at most {NONCE_MAX_LENGTH} characters.", request=request
        )


def _invalid_token(description: str) -> OrderedDict:
    """Return the RFC 6750 §3.1 ``invalid_token`` error oauthlib puts in WWW-Authenticate."""
    return OrderedDict([("error", "invalid_token"), ("error_description", description)])
