"""Validation of ID tokens, logout tokens and security event tokens.

mozilla-django-oidc 5 does none of it itself.
"""

import base64
import hashlib
import hmac
import time
from typing import Any

import jwt

from sso_client import constants as c
from sso_client.claims import sub_is_valid
from sso_client.conf import cache_key, sso_settings
from sso_client.exceptions import TokenError
from sso_client.jwks import signing_key


class IssuerError(TokenError):
    """The token was not issued by SSO_CLIENT["ISSUER"] (RFC 8935 §2.4 invalid_issuer)."""


class AudienceError(TokenError):
    """The token is not for this client alone (RFC 8935 §2.4 invalid_audience)."""


class SigningKeyError(TokenError):
    """No key of the provider verifies the token (RFC 8935 §2.4 invalid_key)."""


# The exception of a failed PyJWT check, the reason a reader is told, and the TokenError raised.
PYJWT_REASONS: tuple[tuple[type[jwt.PyJWTError], str, type[TokenError]], ...] = (
    (jwt.ExpiredSignatureError, "token has expired", TokenError),
    (jwt.ImmatureSignatureError, "token is not valid yet (iat/nbf in the future)", TokenError),
    (jwt.InvalidIssuerError, "wrong issuer", IssuerError),
    (jwt.InvalidAudienceError, "token is not for this client (aud)", AudienceError),
    (jwt.MissingRequiredClaimError, "required claim missing", TokenError),
    (jwt.InvalidSignatureError, "bad signature", SigningKeyError),
)
# RFC 8935 §2.4: the `err` code of each kind of refused token; any other is invalid_request.
SET_ERROR_CODES: tuple[tuple[type[TokenError], str], ...] = (
    (IssuerError, c.SET_ERR_INVALID_ISSUER),
    (AudienceError, c.SET_ERR_INVALID_AUDIENCE),
    (SigningKeyError, c.SET_ERR_INVALID_KEY),
)


def set_error_code(error: TokenError) -> str:
    """Return the RFC 8935 §2.4 `err` code that describes why a token was refused."""
    for error_class, code in SET_ERROR_CODES:
        if isinstance(error, error_class):
            return code
    return c.SET_ERR_INVALID_REQUEST


def media_type_matches(*, typ: object, expected: str) -> bool:
    """Tell whether a JOSE `typ` header names the media type `application/<expected>`.

    RFC 7515 §4.1.9: a `typ` without "/" is read as if "application/" were prepended, so the
    prefix may be omitted or present; media type names are case-insensitive (RFC 6838 §4.2).
    """
    if not isinstance(typ, str):
        return False
    value = typ.lower()
    if "/" not in value:
        value = f"application/{value}"
    return value == f"application/{expected.lower()}"


def provider_jwt_decode(
    *, token: str, required: list[str], typ: str | None = None
) -> dict[str, Any]:
    """Return the claims of an RS256 JWS from the provider, for this client, not expired.

    With `typ`, the header must name that media type (explicit typing, RFC 8725 §3.11).
    """
    if not isinstance(token, str) or not token:
        raise TokenError("no token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("malformed token") from exc
    # RFC 8725 §3.1 and OIDC Core §3.1.3.7 step 7: only the registered algorithm; this refuses
    # `none` and HS256 signed with the public key as the "secret".
    if header.get("alg") != c.SIGNING_ALGORITHM:
        raise TokenError(f"algorithm {header.get('alg')!r} is not {c.SIGNING_ALGORITHM}")
    # RFC 8725 §3.11: a token of one kind cannot be passed off as another (e.g. an ID token,
    # typed "JWT" or untyped, as a logout token).
    if typ is not None and not media_type_matches(typ=header.get("typ"), expected=typ):
        raise TokenError(f"token typ {header.get('typ')!r} is not {typ}")
    # RFC 7515 §4.1.4: kid is optional; without it the provider must publish a single key.
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise TokenError("token header kid is not a non-empty string")
    try:
        key = signing_key(kid=kid)
    except TokenError as exc:
        raise SigningKeyError(exc.reason) from exc
    try:
        claims = jwt.decode(
            token,
            key=key.key,
            algorithms=[c.SIGNING_ALGORITHM],
            audience=sso_settings.CLIENT_ID,
            issuer=sso_settings.ISSUER,
            leeway=sso_settings.LEEWAY,
            options={"require": required, "verify_iat": True},
        )
    except jwt.PyJWTError as exc:
        for error_class, reason, raised in PYJWT_REASONS:
            if isinstance(exc, error_class):
                raise raised(f"{reason}: {exc}") from exc
        raise TokenError(f"invalid token: {exc}") from exc
    # PyJWT 2.10 reads exp/iat with int() and catches only ValueError: JSON's 1e400 (infinity)
    # overflows, null and lists are TypeErrors.
    except (OverflowError, ValueError, TypeError) as exc:
        raise TokenError(f"invalid token: {exc.__class__.__name__}") from exc
    return claims


def audiences_check(claims: dict[str, Any]) -> list[str]:
    """Return the token's audiences; refuse one the client does not trust.

    OIDC Core §3.1.3.7 step 3 (and Back-Channel Logout 1.0 §2.6 for logout tokens): reject the
    token if it contains additional audiences not trusted by the client, whatever its azp.
    """
    audiences = claims[c.CLAIM_AUD]
    audiences = [audiences] if isinstance(audiences, str) else list(audiences)
    trusted = {sso_settings.CLIENT_ID, *sso_settings.TRUSTED_AUDIENCES}
    untrusted = [audience for audience in audiences if audience not in trusted]
    if untrusted:
        raise AudienceError(f"token names untrusted audiences {untrusted!r} (aud)")
    return audiences


def _octets(text: str) -> bytes:
    """Return `text` as bytes for hmac.compare_digest, which refuses non-ASCII str.

    surrogatepass: a lone surrogate (JSON's "\\ud800") has no UTF-8 form otherwise.
    """
    return text.encode("utf-8", "surrogatepass")


def access_token_hash(*, access_token: str) -> str:
    """Return the `at_hash` of an access token for RS256 (OIDC Core §3.1.3.6).

    Raise TokenError for an access token that is not ASCII (RFC 6749 §A.12: VSCHAR only).
    """
    try:
        octets = access_token.encode("ascii")
    except UnicodeEncodeError as exc:
        raise TokenError("access token is not ASCII") from exc
    digest = hashlib.sha256(octets).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def id_token_validate(
    *, token: str, nonce: str | None, access_token: str | None = None
) -> dict[str, Any]:
    """Return the claims of a valid ID token (OIDC Core §3.1.3.7), or raise TokenError.

    Checks: RS256 signature by `kid` (or the only key, without `kid`), `iss` exactly ISSUER,
    `aud` contains CLIENT_ID and nothing outside TRUSTED_AUDIENCES, `azp`, `exp` and `iat` (with
    LEEWAY), `nonce` equal to the one stored for this sign-in, and `at_hash` when present.
    """
    required = [c.CLAIM_ISS, c.CLAIM_SUB, c.CLAIM_AUD, c.CLAIM_EXP, c.CLAIM_IAT]
    claims = provider_jwt_decode(token=token, required=required)
    audiences = audiences_check(claims)
    # OIDC Core §3.1.3.7 steps 4-5: several audiences need an azp, and an azp must be us.
    if len(audiences) > 1 and c.CLAIM_AZP not in claims:
        raise TokenError("several audiences and no azp")
    if c.CLAIM_AZP in claims and claims[c.CLAIM_AZP] != sso_settings.CLIENT_ID:
        raise TokenError("azp is not this client")
    # OIDC Core §3.1.3.7 step 11: the nonce binds the token to this browser's sign-in.
    token_nonce = claims.get(c.CLAIM_NONCE)
    if not nonce or not isinstance(token_nonce, str):
        raise TokenError("nonce missing")
    if not hmac.compare_digest(_octets(token_nonce), _octets(nonce)):
        raise TokenError("nonce does not match this sign-in")
    at_hash = claims.get(c.CLAIM_AT_HASH)
    if at_hash is not None:
        expected = access_token_hash(access_token=access_token or "")
        if not isinstance(at_hash, str) or not hmac.compare_digest(
            _octets(at_hash), _octets(expected)
        ):
            raise TokenError("at_hash does not match the access token")
    return claims


def userinfo_check(*, userinfo: dict[str, Any], id_claims: dict[str, Any]) -> None:
    """Raise TokenError unless the userinfo `sub` is the ID token's (OIDC Core §5.3.2)."""
    if userinfo.get(c.CLAIM_SUB) != id_claims[c.CLAIM_SUB]:
        raise TokenError("userinfo sub is not the ID token sub")


def _scope_claims(scope: str) -> tuple[str, ...] | None:
    """Return the claims `scope` asks for; None for a scope whose claims are not known."""
    if scope == c.SCOPE_GROUPS:
        return (sso_settings.GROUPS_CLAIM,)
    return c.SCOPE_CLAIMS.get(scope)


def userinfo_needed(*, id_claims: dict[str, Any]) -> bool:
    """Tell whether the callback must ask the userinfo endpoint for claims (OIDC Core §5.3).

    USERINFO "always": yes. "when-needed": no when, for every scope in SCOPES that asks for
    claims, the ID token carries at least one of that scope's claims (OIDC Core §5.4; `groups`
    asks for GROUPS_CLAIM): a provider that puts a scope's claims in its ID tokens puts them all,
    and leaves out only empty ones, which userinfo leaves out too. A scope whose claims are not
    known (not standard, not `groups`) always needs userinfo.
    """
    if sso_settings.USERINFO != c.USERINFO_WHEN_NEEDED:
        return True
    for scope in sso_settings.SCOPES.split():
        if scope in c.SCOPES_WITHOUT_CLAIMS:
            continue
        names = _scope_claims(scope)
        if names is None or not any(name in id_claims for name in names):
            return True
    return False


def numeric_date(*, claims: dict[str, Any], name: str) -> float:
    """Return a claim that must be a NumericDate (RFC 7519 §2), or raise TokenError.

    PyJWT reads `int(value)`, which lets "1700000000" and `true` through.
    """
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError(f"{name} is not a number")
    return value


def event_token_check(claims: dict[str, Any], *, kind: str) -> None:
    """Check what logout tokens and SETs share: sub, no nonce, jti, exp and iat bounds."""
    # OIDC Core §2, as at sign-in: a sub no shadow can have is refused before any lookup.
    if c.CLAIM_SUB in claims and not sub_is_valid(claims[c.CLAIM_SUB]):
        raise TokenError("sub is not 1-255 printable ASCII characters")
    # Back-Channel Logout 1.0 §2.4, RFC 8417 §2.2: no nonce, so an ID token cannot pass as one.
    if c.CLAIM_NONCE in claims:
        raise TokenError(f"{kind} contains a nonce")
    if not isinstance(claims[c.CLAIM_JTI], str) or not claims[c.CLAIM_JTI]:
        raise TokenError("jti is not a string")
    # PyJWT has refused an exp in the past and an iat in the future (beyond LEEWAY); the
    # lifetime bound keeps a captured token from staying usable for long.
    issued_at = numeric_date(claims=claims, name=c.CLAIM_IAT)
    expires_at = numeric_date(claims=claims, name=c.CLAIM_EXP)
    lifetime = expires_at - issued_at
    if lifetime <= 0:
        raise TokenError(f"{kind} exp is not after its iat")
    if lifetime > sso_settings.LOGOUT_TOKEN_MAX_LIFETIME:
        raise TokenError(
            f"{kind} lifetime {lifetime:.0f} s exceeds "
            f"{sso_settings.LOGOUT_TOKEN_MAX_LIFETIME} s (exp - iat)"
        )
    if issued_at < time.time() - sso_settings.LOGOUT_TOKEN_MAX_AGE:
        raise TokenError(f"{kind} is too old")


def jti_first_seen(*, kind: str, issuer: str, jti: str) -> bool:
    """Remember the `jti` of a pushed token of `kind`; return False when seen before (a replay).

    In the CACHE_ALIAS cache, which every process shares, so a replay to another process fails
    too; until the token is too old to pass event_token_check anyway.
    """
    ttl = sso_settings.LOGOUT_TOKEN_MAX_AGE + 2 * sso_settings.LEEWAY
    return sso_settings.cache().add(cache_key(kind, issuer, jti), 1, ttl)


def logout_token_validate(*, token: str) -> dict[str, Any]:
    """Return the claims of a valid logout token (OIDC Back-Channel Logout 1.0 §2.6).

    Checks the `typ` header (`logout+jwt`), the signature, `iss`, `aud` (as for ID tokens),
    `iat` and `exp` (with LEEWAY, a lifetime of at most LOGOUT_TOKEN_MAX_LIFETIME, an `iat` at
    most LOGOUT_TOKEN_MAX_AGE old), the back-channel logout event, `sid` and/or `sub`, and that
    there is no `nonce`. Replay (`jti`) is the caller's.
    """
    # §2.4: iss, aud, iat, exp, jti and events are REQUIRED.
    required = [c.CLAIM_ISS, c.CLAIM_AUD, c.CLAIM_IAT, c.CLAIM_EXP, c.CLAIM_JTI, c.CLAIM_EVENTS]
    claims = provider_jwt_decode(token=token, required=required, typ=c.LOGOUT_TOKEN_TYP)
    audiences_check(claims)
    events = claims[c.CLAIM_EVENTS]
    if not isinstance(events, dict) or not isinstance(events.get(c.BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenError("events lacks the back-channel logout event")
    if not claims.get(c.CLAIM_SID) and not claims.get(c.CLAIM_SUB):
        raise TokenError("neither sid nor sub")
    if c.CLAIM_SID in claims and not isinstance(claims[c.CLAIM_SID], str):
        raise TokenError("sid is not a string")
    event_token_check(claims, kind="logout token")
    return claims
