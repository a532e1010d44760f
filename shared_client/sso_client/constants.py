"""Protocol constants: claim names, algorithms, event URIs and session keys."""

# OpenID Connect Core 1.0 §2 (ID token) and §5.1 (standard claims).
CLAIM_SUB = "sub"
CLAIM_ISS = "iss"
CLAIM_AUD = "aud"
CLAIM_AZP = "azp"
CLAIM_EXP = "exp"
CLAIM_IAT = "iat"
CLAIM_NONCE = "nonce"
CLAIM_AT_HASH = "at_hash"
CLAIM_SID = "sid"
CLAIM_GIVEN_NAME = "given_name"
CLAIM_FAMILY_NAME = "family_name"
CLAIM_EMAIL = "email"
CLAIM_PICTURE = "picture"
# The identity server's groups claim (docs/contract.md), the default SSO_CLIENT["GROUPS_CLAIM"].
CLAIM_GROUPS = "groups"
# Optional: an IdP that releases `active: false` deactivates the shadow at sign-in.
CLAIM_ACTIVE = "active"

# OIDC Core §5.4: the claims each standard scope asks for.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
# Scopes that ask for no claim (OIDC Core §3.1.2.1, §11).
SCOPES_WITHOUT_CLAIMS = frozenset({"openid", "offline_access"})
# The identity server's scope for SSO_CLIENT["GROUPS_CLAIM"] (docs/contract.md).
SCOPE_GROUPS = "groups"

# SSO_CLIENT["USERINFO"]: when the callback asks the userinfo endpoint for claims.
USERINFO_WHEN_NEEDED = "when-needed"
USERINFO_ALWAYS = "always"
USERINFO_CHOICES = (USERINFO_WHEN_NEEDED, USERINFO_ALWAYS)

# OpenID Connect Back-Channel Logout 1.0 §2.4.
CLAIM_EVENTS = "events"
CLAIM_JTI = "jti"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4 and RFC 8725 §3.11: the `typ` header of a logout token (explicit typing), which an ID
# token or an access token does not carry.
LOGOUT_TOKEN_TYP = "logout+jwt"  # noqa: S105 - a media type, not a secret

# Security Event Tokens (RFC 8417) pushed to the events receiver (RFC 8935), docs/contract.md.
CLAIM_TOE = "toe"
CLAIM_TXN = "txn"
CLAIM_SUB_ID = "sub_id"
# RFC 8417 §2.3: the `typ` header of a SET; RFC 8935 §2: the media type of the pushed body.
SECEVENT_TYP = "secevent+jwt"
SECEVENT_CONTENT_TYPE = "application/secevent+jwt"
# OpenID CAEP and RISC event types (the provider's outbox sends these four).
EVENT_CLAIMS_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change"
EVENT_ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
EVENT_ACCOUNT_ENABLED = "https://schemas.openid.net/secevent/risc/event-type/account-enabled"
EVENT_ACCOUNT_PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"
KNOWN_EVENTS = frozenset(
    {EVENT_CLAIMS_CHANGE, EVENT_ACCOUNT_DISABLED, EVENT_ACCOUNT_ENABLED, EVENT_ACCOUNT_PURGED}
)
# RFC 8935 §2.4: the `err` codes of a refused SET.
SET_ERR_INVALID_REQUEST = "invalid_request"
SET_ERR_INVALID_KEY = "invalid_key"
SET_ERR_INVALID_ISSUER = "invalid_issuer"
SET_ERR_INVALID_AUDIENCE = "invalid_audience"
# Not in RFC 8935: the body of a 503, answered when the SET could not be processed for now.
SET_ERR_UNAVAILABLE = "temporarily_unavailable"

# RFC 7662 §2.2: the one member of an introspection answer the session re-check reads.
INTROSPECTION_ACTIVE = "active"

# RFC 8725 §3.1: accept exactly the algorithm the provider is registered with, never `none`
# or an HMAC algorithm that would turn the public key into a shared secret.
SIGNING_ALGORITHM = "RS256"
PKCE_METHOD = "S256"

# OpenID Connect Discovery 1.0 §4.
DISCOVERY_PATH = "/.well-known/openid-configuration"

# Session keys (docs/contract.md).
SESSION_SID = "sso_sid"
SESSION_ID_TOKEN = "sso_id_token"  # noqa: S105 - a session key name, not a secret
# When the provider last confirmed (or was last asked about) this session, in epoch seconds.
SESSION_CHECKED_AT = "sso_checked_at"
# The attribute of the callback's request that carries the token response's refresh token from
# SSOBackend to the SSOSession row: never into the session, which a cookie may hold.
REQUEST_REFRESH_TOKEN = "sso_refresh_token"  # noqa: S105 - an attribute name, not a secret
# The attribute of a user instance whose shadow INSERT or UPDATE already wrote last_login for
# this sign-in: the user_logged_in receiver then does not write it again.
LAST_LOGIN_SAVED = "_sso_last_login_saved"
# mozilla-django-oidc's own session keys.
SESSION_STATES = "oidc_states"
SESSION_LOGIN_NEXT = "oidc_login_next"
