"""Register and update OAuth clients (DOT Applications) and rotate their secrets."""

from collections.abc import Sequence

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_application_model,
)

from audit.models import AuditEvent
from audit.services import audit_event_record
from oidc.client_uris import client_uri_validate, origins_validate, uris_validate
from oidc.models import ClientOptions, validate_service_scopes

AccessToken = get_access_token_model()
Application = get_application_model()


def _client_fill(
    application: AbstractApplication,
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    first_party: bool,
    public: bool,
    allowed_origins: list[str],
) -> None:
    if not name.strip():
        raise ValidationError("A client needs a name.")
    if not redirect_uris:
        raise ValidationError("A client needs at least one redirect URI.")
    application.name = name.strip()
    application.redirect_uris = uris_validate(uris=redirect_uris, label="redirect URI")
    application.post_logout_redirect_uris = uris_validate(
        uris=post_logout_redirect_uris, label="post-logout redirect URI"
    )
    application.allowed_origins = origins_validate(origins=allowed_origins)
    application.client_type = (
        Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL
    )
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    # First-party shops skip the consent screen (their users already trust them).
    application.skip_authorization = first_party


def _service_scopes_clean(application: AbstractApplication, service_scopes: Sequence[str]) -> str:
    """Return the service scopes as stored (sorted, space-separated), or refuse them."""
    value = " ".join(sorted(set(service_scopes)))
    validate_service_scopes(value)
    if value and application.client_type != Application.CLIENT_CONFIDENTIAL:
        # RFC 6749 §4.4: the client credentials grant is for confidential clients only.
        raise ValidationError("Only a confidential client can have service scopes.")
    return value


def _options_save(
    application: AbstractApplication,
    *,
    backchannel_logout_uri: str,
    can_introspect: bool,
    service_scopes: Sequence[str],
) -> ClientOptions:
    if backchannel_logout_uri:
        client_uri_validate(uri=backchannel_logout_uri, label="back-channel logout URI")
    if can_introspect and application.client_type != Application.CLIENT_CONFIDENTIAL:
        raise ValidationError("Only a confidential client can be a resource server.")
    scopes = _service_scopes_clean(application, service_scopes)
    options, created = ClientOptions.objects.get_or_create(application=application)
    kept = set(scopes.split())
    if not created and not set(options.service_scopes.split()) <= kept:
        # A withdrawn service scope stops working at once, not when the tokens expire.
        AccessToken.objects.filter(application=application, user__isnull=True).delete()
    options.backchannel_logout_uri = backchannel_logout_uri
    options.can_introspect = can_introspect
    options.service_scopes = scopes
    options.save()
    return options


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
        application.allowed_origins,
    )


def client_register(
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    backchannel_logout_uri: str = "",
    first_party: bool = False,
    public: bool = False,
    allowed_origins: Sequence[str] = (),
    can_introspect: bool = False,
    service_scopes: Sequence[str] = (),
    client_id: str | None = None,
    client_secret: str | None = None,
    actor=None,
) -> tuple[AbstractApplication, str | None]:
    """Register a client; return it with its plain secret (None for a public client).

    The secret is stored hashed, so this is the only time it can be shown. A confidential
    client given ``service_scopes`` may also use the client credentials grant for them.
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
        allowed_origins=list(allowed_origins),
    )
    plain_secret = None if public else (client_secret or generate_client_secret())
    application.client_secret = plain_secret or ""
    application.full_clean(exclude=["client_secret"])
    with transaction.atomic():
        application.save()
        options = _options_save(
            application,
            backchannel_logout_uri=backchannel_logout_uri,
            can_introspect=can_introspect,
            service_scopes=service_scopes,
        )
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_REGISTERED,
            actor=actor,
            data={
                "client_id": application.client_id,
                "name": application.name,
                "service_scopes": options.service_scopes.split(),
            },
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
    allowed_origins: Sequence[str] = (),
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
            allowed_origins=allowed_origins,
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
        allowed_origins=list(allowed_origins),
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
        _options_save(
            application,
            backchannel_logout_uri=backchannel_logout_uri,
            can_introspect=options.can_introspect if options else False,
            service_scopes=options.service_scopes.split() if options else (),
        )
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_UPDATED,
            data={"client_id": application.client_id, "name": application.name},
        )
    return application, False


def client_update(
    *,
    client_id: str,
    name: str | None = None,
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    backchannel_logout_uri: str | None = None,
    allowed_origins: list[str] | None = None,
    can_introspect: bool | None = None,
    service_scopes: list[str] | None = None,
    actor=None,
) -> AbstractApplication:
    """Change what is given of a client and keep the rest; the secret is left alone.

    ``service_scopes`` replaces the client's service scopes (``[]`` clears them); the
    client credentials tokens of a withdrawn scope are revoked at once.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        if application is None:
            raise ValidationError(f"No client with client_id {client_id!r}.")
        options = ClientOptions.objects.filter(application=application).first()

        def keep(new, current):
            return current if new is None else new

        _client_fill(
            application,
            name=keep(name, application.name),
            redirect_uris=keep(redirect_uris, application.redirect_uris.split()),
            post_logout_redirect_uris=keep(
                post_logout_redirect_uris, application.post_logout_redirect_uris.split()
            ),
            first_party=application.skip_authorization,
            public=application.client_type == Application.CLIENT_PUBLIC,
            allowed_origins=keep(allowed_origins, application.allowed_origins.split()),
        )
        application.full_clean(exclude=["client_secret"])
        application.save()
        options = _options_save(
            application,
            backchannel_logout_uri=keep(
                backchannel_logout_uri, options.backchannel_logout_uri if options else ""
            ),
            can_introspect=keep(can_introspect, options.can_introspect if options else False),
            service_scopes=keep(service_scopes, options.service_scopes.split() if options else []),
        )
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_UPDATED,
            actor=actor,
            data={
                "client_id": application.client_id,
                "name": application.name,
                "service_scopes": options.service_scopes.split(),
            },
        )
    return application


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
