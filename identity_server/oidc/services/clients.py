"""Register OAuth clients (DOT Applications) and rotate their secrets."""

from urllib.parse import urlsplit

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AbstractApplication, get_application_model
from oauth2_provider.settings import oauth2_settings

from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc.models import ClientOptions

Application = get_application_model()


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
    except ValidationError:
        raise ValidationError(f"{label} {uri!r} is not a valid absolute URL.") from None
    return uri


def _uris_validate(*, uris: list[str], label: str) -> str:
    return " ".join(client_uri_validate(uri=uri, label=label) for uri in uris)


def _client_fill(
    application: AbstractApplication,
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    first_party: bool,
    public: bool,
) -> None:
    if not name.strip():
        raise ValidationError("A client needs a name.")
    if not redirect_uris:
        raise ValidationError("A client needs at least one redirect URI.")
    application.name = name.strip()
    application.redirect_uris = _uris_validate(uris=redirect_uris, label="redirect URI")
    application.post_logout_redirect_uris = _uris_validate(
        uris=post_logout_redirect_uris, label="post-logout redirect URI"
    )
    application.client_type = (
        Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL
    )
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    # First-party shops skip the consent screen (their users already trust them).
    application.skip_authorization = first_party


def _options_save(application: AbstractApplication, *, backchannel_logout_uri: str) -> None:
    if backchannel_logout_uri:
        client_uri_validate(uri=backchannel_logout_uri, label="back-channel logout URI")
    ClientOptions.objects.update_or_create(
        application=application, defaults={"backchannel_logout_uri": backchannel_logout_uri}
    )


def _client_snapshot(application: AbstractApplication) -> tuple:
    return (
        application.name,
        application.redirect_uris,
        application.post_logout_redirect_uris,
        application.client_type,
        application.authorization_grant_type,
        application.algorithm,
        application.skip_authorization,
        application.client_secret,
    )


def client_register(
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    backchannel_logout_uri: str = "",
    first_party: bool = False,
    public: bool = False,
    client_id: str | None = None,
    client_secret: str | None = None,
    actor=None,
) -> tuple[AbstractApplication, str | None]:
    """Register a client; return it with its plain secret (None for a public client).

    The secret is stored hashed, so this is the only time it can be shown.
    """
    application = Application()
    if client_id:
        application.client_id = client_id
    _client_fill(
        application,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        first_party=first_party,
        public=public,
    )
    plain_secret = None if public else (client_secret or generate_client_secret())
    application.client_secret = plain_secret or ""
    application.full_clean(exclude=["client_secret"])
    with transaction.atomic():
        application.save()
        _options_save(application, backchannel_logout_uri=backchannel_logout_uri)
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_REGISTERED,
            actor=actor,
            data={"client_id": application.client_id, "name": application.name},
        )
    return application, plain_secret


def client_ensure(
    *,
    client_id: str,
    client_secret: str | None,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    backchannel_logout_uri: str = "",
    first_party: bool = False,
    public: bool = False,
) -> tuple[AbstractApplication, bool]:
    """Create the client ``client_id`` or bring it in line with these values (idempotent).

    Returns the client and whether it was created. An unchanged secret is not re-hashed.
    """
    application = Application.objects.filter(client_id=client_id).first()
    if application is None:
        application, _secret = client_register(
            name=name,
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=post_logout_redirect_uris,
            backchannel_logout_uri=backchannel_logout_uri,
            first_party=first_party,
            public=public,
            client_id=client_id,
            client_secret=client_secret,
        )
        return application, True
    before = _client_snapshot(application)
    _client_fill(
        application,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        first_party=first_party,
        public=public,
    )
    if public:
        application.client_secret = ""
    elif client_secret and not check_password(client_secret, application.client_secret):
        application.client_secret = client_secret
    application.full_clean(exclude=["client_secret"])
    options = ClientOptions.objects.filter(application=application).first()
    if (
        _client_snapshot(application) == before
        and options is not None
        and options.backchannel_logout_uri == backchannel_logout_uri
    ):
        return application, False
    with transaction.atomic():
        application.save()
        _options_save(application, backchannel_logout_uri=backchannel_logout_uri)
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_UPDATED,
            data={"client_id": application.client_id, "name": application.name},
        )
    return application, False


def client_rotate_secret(*, client_id: str, actor=None) -> str:
    """Give a confidential client a new random secret and return it (shown once)."""
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        if application is None:
            raise ValidationError(f"No client with client_id {client_id!r}.")
        if application.client_type != Application.CLIENT_CONFIDENTIAL:
            raise ValidationError(f"Client {client_id!r} is public: it has no secret.")
        plain_secret = generate_client_secret()
        application.client_secret = plain_secret
        application.save(update_fields=["client_secret", "updated"])
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_SECRET_ROTATED,
            actor=actor,
            data={"client_id": client_id},
        )
    return plain_secret
