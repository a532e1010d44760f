"""Security Event Tokens (RFC 8417) and their delivery (RFC 8935): event types, media types."""

# Event types (docs/events.md): the standard CAEP and RISC names.
EVENT_CLAIMS_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change"
EVENT_ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
EVENT_ACCOUNT_ENABLED = "https://schemas.openid.net/secevent/risc/event-type/account-enabled"
EVENT_ACCOUNT_PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"
# Not a SET: the outbox event of an ended IdP session, sent as back-channel logout tokens.
EVENT_LOGOUT = "logout"

# RFC 8417 §2.3: explicit typing of a SET.
SET_TYP = "secevent+jwt"
# RFC 8935 §2: the media type of the pushed body.
SET_CONTENT_TYPE = "application/secevent+jwt"
SET_LIFETIME_SECONDS = 120
# RFC 8417 §2.2 / RFC 8936 §2.2: the subject identifier format of iss + sub.
SUB_ID_FORMAT_ISS_SUB = "iss_sub"

# Which claims each changed user field can change (a change no client sees writes nothing).
CLAIMS_BY_FIELD: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "name"),
    "family_name": ("family_name", "name"),
    "nickname": ("nickname",),
    "phone_number": ("phone_number",),
    "locale": ("locale",),
    "avatar": ("picture",),
    "email": ("email",),
    "email_verified": ("email_verified",),
    "groups": ("groups",),
}
