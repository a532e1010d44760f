"""Read claim values that a provider may send with any type, length or character.

Every function here returns something a database column can hold (PostgreSQL refuses NUL
characters and lone surrogates, which JSON's `\\u0000` and `\\ud800` escapes produce), so a
hostile or merely unusual claim is stored safely or ignored, never a 500.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

# OIDC Core §2: `sub` is "a locally unique and never reassigned identifier ... It MUST NOT
# exceed 255 ASCII characters in length".
SUB_MAX_LENGTH = 255
# Printable ASCII: no control characters in an identifier that ends up in usernames and logs.
SUB_CHARACTERS = frozenset(chr(code) for code in range(0x21, 0x7F))
# Allowed in Django usernames (letters, digits and @.+-_).
DIGEST_PREFIX = "sha256-"

_url_validator = URLValidator(schemes=["http", "https"])


def sub_is_valid(sub: object) -> bool:
    """Tell whether `sub` is a legal subject: 1 to 255 printable ASCII characters."""
    return (
        isinstance(sub, str)
        and 0 < len(sub) <= SUB_MAX_LENGTH
        and all(character in SUB_CHARACTERS for character in sub)
    )


def storable_text(value: object) -> str:
    """Return `value` without NUL characters and lone surrogates; "" when it is not a string."""
    if not isinstance(value, str):
        return ""
    # A lone surrogate cannot be encoded: "replace" turns it into "?".
    text = value.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def claim_text(claims: dict[str, Any], name: str) -> str:
    """Return the string claim `name`, storable; "" when absent or not a string."""
    return storable_text(claims.get(name))


def _claim_whole(
    claims: dict[str, Any], name: str, *, max_length: int, validator: Callable[[str], None]
) -> str:
    """Return the string claim as sent when it fits `max_length` and passes `validator`, else "".

    Kept whole or not at all: a cut or cleaned address or URL would be another one.
    """
    value = claims.get(name)
    if not isinstance(value, str) or len(value) > max_length or storable_text(value) != value:
        return ""
    try:
        validator(value)
    except ValidationError:
        return ""
    return value


def claim_email(claims: dict[str, Any], name: str, *, max_length: int) -> str:
    """Return the claim as an email address, or "" when it is not one that fits."""
    return _claim_whole(claims, name, max_length=max_length, validator=validate_email)


def claim_url(claims: dict[str, Any], name: str, *, max_length: int) -> str:
    """Return the claim as an http(s) URL, or "" when it is not one that fits.

    Only http(s): a `javascript:` or `data:` URL would end up in an `<img src>`.
    """
    return _claim_whole(claims, name, max_length=max_length, validator=_url_validator)


def bounded_key(value: str, *, max_length: int) -> str:
    """Return `value` when a column of `max_length` holds it as is, else a digest of it.

    The digest is deterministic, so a value stored this way is found again by the same call.
    """
    if len(value) <= max_length and storable_text(value) == value:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{DIGEST_PREFIX}{digest}"[:max_length]
