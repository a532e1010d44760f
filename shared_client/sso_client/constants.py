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

# RFC 8725 §3.1: accept exactly the algorithm the provider is registered with, never `none`
# or an HMAC algorithm that would turn the public key into a shared secret.
SIGNING_ALGORITHM = "RS256"
PKCE_METHOD = "S256"

# OpenID Connect Discovery 1.0 §4.
DISCOVERY_PATH = "/.well-known/openid-configuration"

# Session keys (docs/contract.md).
SESSION_SID = "sso_sid"
SESSION_ID_TOKEN = "sso_id_token"  # noqa: S105 - a session key name, not a secret
# mozilla-django-oidc's own session keys.
SESSION_STATES = "oidc_states"
SESSION_LOGIN_NEXT = "oidc_login_next"
