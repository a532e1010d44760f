"""Check the URIs and origins a client registers: exact, absolute, nothing to widen them."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from oauth2_provider.settings import oauth2_settings


def client_uri_validate(*, uri: str, label: str = "redirect URI") -> str:
    """Return ``uri`` if it is an absolute http(s) URL without fragment or wildcard.

    RFC 6749 §3.1.2: absolute, no fragment. RFC 9700 §4.1.1: exact matching, so no wildcard.
    """
    parts = urlsplit(uri)
    allowed = oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
    if parts.scheme not in allowed:
        raise ValidationError(f"{label} {uri!r}: the scheme must be one of {', '.join(allowed)}.")
    if "*" in uri:
        raise ValidationError(f"{label} {uri!r}: wildcards are not allowed.")
    if "#" in uri:
        raise ValidationError(f"{label} {uri!r}: a fragment is not allowed (RFC 6749 §3.1.2).")
    if "@" in parts.netloc:
        raise ValidationError(f"{label} {uri!r}: credentials in the URL are not allowed.")
    try:
        URLValidator(schemes=allowed)(uri)
        parts.port  # noqa: B018 (raises ValueError for a port above 65535)
    except (ValidationError, ValueError):
        raise ValidationError(f"{label} {uri!r} is not a valid absolute URL.") from None
    return uri


def client_origin_validate(*, origin: str) -> str:
    """Return ``origin`` as ``scheme://host[:port]`` if it is a plain web origin.

    An origin (RFC 6454) has no path, query, fragment, credentials or wildcard: a browser
    app at that origin may call the token, userinfo and revocation endpoints (CORS).
    """
    parts = urlsplit(origin.strip())
    allowed = oauth2_settings.ALLOWED_SCHEMES
    label = f"allowed origin {origin!r}"
    if parts.scheme not in allowed:
        raise ValidationError(f"{label}: the scheme must be one of {', '.join(allowed)}.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(f"{label}: an origin has no path, query or fragment.")
    if "*" in origin or "@" in parts.netloc or not parts.hostname:
        raise ValidationError(f"{label} is not a valid origin (scheme://host[:port]).")
    try:
        parts.port  # noqa: B018 (raises ValueError for a port above 65535)
    except ValueError:
        raise ValidationError(f"{label}: the port is not valid.") from None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def uris_validate(*, uris: list[str], label: str) -> str:
    """Return the URIs, each checked, as DOT stores them (space-separated)."""
    return " ".join(client_uri_validate(uri=uri, label=label) for uri in uris)


def origins_validate(*, origins: list[str]) -> str:
    """Return the origins, each checked and normalised once, space-separated."""
    return " ".join(dict.fromkeys(client_origin_validate(origin=o) for o in origins))
