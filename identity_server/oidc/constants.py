"""Protocol constants: scopes, claims, events, session keys."""

# OpenID Connect Core 1.0 §5.4: the claims each scope releases.
SCOPE_OPENID = "openid"
SCOPE_PROFILE = "profile"
SCOPE_EMAIL = "email"
SCOPE_PHONE = "phone"
SCOPE_GROUPS = "groups"  # not in the spec: the shops map groups to staff rights

# Service scopes: granted to a client acting on its own behalf through the client credentials
# grant (RFC 6749 §4.4), never to a user's authorization (refused as invalid_scope, §3.3).
SCOPE_USERS_READ = "users:read"
# The reconcile API: every user changed since a cursor (shops' `sso_sync`).
SCOPE_USERS_SYNC = "users:sync"
SERVICE_SCOPES: frozenset[str] = frozenset({SCOPE_USERS_READ, SCOPE_USERS_SYNC})

CLAIMS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    SCOPE_OPENID: ("sub",),
    SCOPE_PROFILE: (
        "name",
        "given_name",
        "family_name",
        "nickname",
        "picture",
        "locale",
        "updated_at",
    ),
    SCOPE_EMAIL: ("email", "email_verified"),
    SCOPE_PHONE: ("phone_number", "phone_number_verified"),
    SCOPE_GROUPS: ("groups",),
}
# ID token only: the IdP session id (OIDC Front/Back-Channel Logout 1.0) and when the user
# authenticated (OIDC Core 1.0 §2).
CLAIM_SID = "sid"
CLAIM_AUTH_TIME = "auth_time"
CLAIM_AMR = "amr"
CLAIM_ACR = "acr"

# OIDC Back-Channel Logout 1.0 §2.4: the one event a logout token carries.
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# §2.4: "typ" header of a logout token (explicit typing, RFC 8725 §3.11).
LOGOUT_TOKEN_TYP = "logout+jwt"  # noqa: S105 (a media type)
LOGOUT_TOKEN_LIFETIME_SECONDS = 120

# RFC 8176 authentication method references (the ID token's amr) and our two acr values:
# one factor, or several (a shop asks for the latter with acr_values to step up).
AMR_PASSWORD = "pwd"  # noqa: S105 (a method name)
AMR_OTP = "otp"
AMR_HARDWARE_KEY = "hwk"
AMR_MFA = "mfa"
ACR_SINGLE_FACTOR = "urn:sso:acr:1fa"
ACR_MFA = "urn:sso:acr:mfa"
ACR_VALUES_SUPPORTED = (ACR_SINGLE_FACTOR, ACR_MFA)

# Django session keys set at sign-in.
SESSION_SID_KEY = "idp_sid"
# The time of the last sign-in, seconds since the epoch (a float: prompt=login compares it with
# the moment it asked for a new sign-in).
SESSION_AUTH_TIME_KEY = "idp_auth_time"
# The amr of the last sign-in (a list).
SESSION_AMR_KEY = "idp_amr"

# OIDC Core 1.0 §3.1.2.1: the prompt values this provider honours.
PROMPT_NONE = "none"
PROMPT_LOGIN = "login"
PROMPT_CONSENT = "consent"
PROMPT_VALUES_SUPPORTED = (PROMPT_NONE, PROMPT_LOGIN, PROMPT_CONSENT)

# OIDC Core 1.0 §3.1.2.6: errors of an authentication request the user cannot complete silently.
ERROR_LOGIN_REQUIRED = "login_required"
ERROR_CONSENT_REQUIRED = "consent_required"
ERROR_INTERACTION_REQUIRED = "interaction_required"
ERROR_REQUEST_NOT_SUPPORTED = "request_not_supported"
ERROR_REQUEST_URI_NOT_SUPPORTED = "request_uri_not_supported"

# Our own authorize parameter: proof, signed and bound to the request, that the user was sent
# to sign in again for prompt=login or max_age (so the sign-in form cannot be skipped).
REAUTH_PARAM = "reauth"

# Client authentication methods (RFC 8414 §2, OIDC Discovery 1.0 §3).
AUTH_METHOD_BASIC = "client_secret_basic"
AUTH_METHOD_POST = "client_secret_post"
AUTH_METHOD_NONE = "none"

# The grants this provider offers (RFC 9700 §2.1.2 and §2.4: no implicit, no password grant).
# client_credentials only for a confidential client registered with service scopes.
GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"  # noqa: S105 (a grant type)
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_TYPES_SUPPORTED = (GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS)
