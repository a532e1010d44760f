"""Register and update OAuth clients (DOT Applications) and rotate their secrets."""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
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

# What an update compares to tell which fields changed (audit data, and nothing to save).
CLIENT_FIELDS = (
    "name",
    "client_type",
    "skip_authorization",
    "redirect_uris",
    "post_logout_redirect_uris",
    "allowed_origins",
)
OPTION_FIELDS = ("backchannel_logout_uri", "events_uri", "can_introspect", "service_scopes")


def client_validate(
    *,
    name: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    backchannel_logout_uri: str = "",
    events_uri: str = "",
    public: bool = False,
    can_introspect: bool = False,
    service_scopes: Sequence[str] = (),
) -> None:
    """Refuse values a client cannot have, every problem at once, each under its field.

    The ValidationError is keyed by field name (``name``, ``redirect_uris``,
    ``post_logout_redirect_uris``, ``allowed_origins``, ``backchannel_logout_uri``,
    ``events_uri``, ``can_introspect``, ``service_scopes``), so the admin's form shows each
    message next to its input; ``error.messages`` lists them all for the command line.
    """
    errors: dict[str, list[str]] = {}

    def check(field: str, validate: Callable[[], Any]) -> None:
        try:
            validate()
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)

    def refuse(message: str) -> None:
        raise ValidationError(message)

    check("name", lambda: name.strip() or refuse("A client needs a name."))
    check(
        "redirect_uris",
        lambda: (
            uris_validate(uris=list(redirect_uris), label="redirect URI")
            or refuse("A client needs at least one redirect URI.")
        ),
    )
    check(
        "post_logout_redirect_uris",
        lambda: uris_validate(
            uris=list(post_logout_redirect_uris), label="post-logout redirect URI"
        ),
    )
    check("allowed_origins", lambda: origins_validate(origins=list(allowed_origins)))
    if backchannel_logout_uri:
        check(
            "backchannel_logout_uri",
            lambda: client_uri_validate(
                uri=backchannel_logout_uri, label="back-channel logout URI"
            ),
        )
    if events_uri:
        check(
            "events_uri",
            lambda: client_uri_validate(uri=events_uri, label="events URI"),
        )
    if can_introspect and public:
        check(
            "can_introspect",
            lambda: refuse("Only a confidential client can be a resource server."),
        )
    check("service_scopes", lambda: validate_service_scopes(" ".join(service_scopes)))
    if service_scopes and public:
        # RFC 6749 §4.4: the client credentials grant is for confidential clients only.
        check(
            "service_scopes",
            lambda: refuse("Only a confidential client can have service scopes."),
        )
    if errors:
        raise ValidationError(errors)


def _client_fill(
    application: AbstractApplication,
    *,
    name: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str],
    first_party: bool,
    public: bool,
    allowed_origins: Sequence[str],
) -> None:
    """Set the client's fields from values ``client_validate`` accepted."""
    application.name = name.strip()
    application.redirect_uris = uris_validate(uris=list(redirect_uris), label="redirect URI")
    application.post_logout_redirect_uris = uris_validate(
        uris=list(post_logout_redirect_uris), label="post-logout redirect URI"
    )
    application.allowed_origins = origins_validate(origins=list(allowed_origins))
    application.client_type = (
        Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL
    )
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    # First-party shops skip the consent screen (their users already trust them).
    application.skip_authorization = first_party


def _options_save(
    application: AbstractApplication,
    *,
    backchannel_logout_uri: str,
    can_introspect: bool,
    service_scopes: Sequence[str],
    events_uri: str = "",
) -> ClientOptions:
    """Store the client's options (values ``client_validate`` accepted)."""
    scopes = " ".join(sorted(set(service_scopes)))
    options, created = ClientOptions.objects.get_or_create(application=application)
    kept = set(scopes.split())
    if not created and not set(options.service_scopes.split()) <= kept:
        # A withdrawn service scope stops working at once, not when the tokens expire.
        AccessToken.objects.filter(application=application, user__isnull=True).delete()
    options.backchannel_logout_uri = backchannel_logout_uri
    options.events_uri = events_uri
    options.can_introspect = can_introspect
    options.service_scopes = scopes
    options.save()
    return options


def _client_state(application: AbstractApplication, options: ClientOptions | None) -> dict:
    """Return the client's editable values, to tell which ones an update changed."""
    state = {name: getattr(application, name) for name in CLIENT_FIELDS}
    state["backchannel_logout_uri"] = options.backchannel_logout_uri if options else ""
    state["events_uri"] = options.events_uri if options else ""
    state["can_introspect"] = options.can_introspect if options else False
    state["service_scopes"] = options.service_scopes if options else ""
    return state


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
    events_uri: str = "",
    first_party: bool = False,
    public: bool = False,
    allowed_origins: Sequence[str] = (),
    can_introspect: bool = False,
    service_scopes: Sequence[str] = (),
    client_id: str | None = None,
    client_secret: str | None = None,
    application: AbstractApplication | None = None,
    actor=None,
    request: HttpRequest | None = None,
) -> tuple[AbstractApplication, str | None]:
    """Register a client; return it with its plain secret (None for a public client).

    The secret is stored hashed, so this is the only time it can be shown. A confidential
    client given ``service_scopes`` may also use the client credentials grant for them.
    ``application`` is an unsaved Application to fill and save (the admin's add form's),
    else a new one is made.
    """
    client_validate(
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        allowed_origins=allowed_origins,
        backchannel_logout_uri=backchannel_logout_uri,
        events_uri=events_uri,
        public=public,
        can_introspect=can_introspect,
        service_scopes=service_scopes,
    )
    application = application if application is not None else Application()
    if client_id:
        application.client_id = client_id
    _client_fill(
        application,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        first_party=first_party,
        public=public,
        allowed_origins=allowed_origins,
    )
    plain_secret = None if public else (client_secret or generate_client_secret())
    application.client_secret = plain_secret or ""
    application.full_clean(exclude=["client_secret"])
    with transaction.atomic():
        application.save()
        options = _options_save(
            application,
            backchannel_logout_uri=backchannel_logout_uri,
            events_uri=events_uri,
            can_introspect=can_introspect,
            service_scopes=service_scopes,
        )
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_REGISTERED,
            actor=actor,
            request=request,
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
    events_uri: str = "",
    first_party: bool = False,
    public: bool = False,
    allowed_origins: Sequence[str] = (),
    service_scopes: Sequence[str] = (),
) -> tuple[AbstractApplication, bool]:
    """Create the client ``client_id`` or bring it in line with these values (idempotent).

    Returns the client and whether it was created. An unchanged secret is not re-hashed.
    ``service_scopes`` are added to those the client holds (an admin's grants stay).
    """
    application = Application.objects.filter(client_id=client_id).first()
    if application is None:
        application, _secret = client_register(
            name=name,
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=post_logout_redirect_uris,
            backchannel_logout_uri=backchannel_logout_uri,
            events_uri=events_uri,
            first_party=first_party,
            public=public,
            allowed_origins=allowed_origins,
            service_scopes=service_scopes,
            client_id=client_id,
            client_secret=client_secret,
        )
        return application, True
    options = ClientOptions.objects.filter(application=application).first()
    can_introspect = options.can_introspect if options else False
    held = options.service_scopes.split() if options else []
    service_scopes = sorted({*held, *service_scopes})
    client_validate(
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        allowed_origins=allowed_origins,
        backchannel_logout_uri=backchannel_logout_uri,
        events_uri=events_uri,
        public=public,
        can_introspect=can_introspect,
        service_scopes=service_scopes,
    )
    before = _client_snapshot(application)
    _client_fill(
        application,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        first_party=first_party,
        public=public,
        allowed_origins=allowed_origins,
    )
    if public:
        application.client_secret = ""
    elif client_secret and not check_password(client_secret, application.client_secret):
        application.client_secret = client_secret
    application.full_clean(exclude=["client_secret"])
    if (
        _client_snapshot(application) == before
        and options is not None
        and options.backchannel_logout_uri == backchannel_logout_uri
        and options.events_uri == events_uri
        and sorted(held) == service_scopes
    ):
        return application, False
    with transaction.atomic():
        application.save()
        _options_save(
            application,
            backchannel_logout_uri=backchannel_logout_uri,
            events_uri=events_uri,
            can_introspect=can_introspect,
            service_scopes=service_scopes,
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
    events_uri: str | None = None,
    allowed_origins: list[str] | None = None,
    can_introspect: bool | None = None,
    service_scopes: list[str] | None = None,
    first_party: bool | None = None,
    public: bool | None = None,
    actor=None,
    request: HttpRequest | None = None,
) -> AbstractApplication:
    """Change what is given of a client and keep the rest; the audit names what changed.

    ``service_scopes`` replaces the client's service scopes (``[]`` clears them); the
    client credentials tokens of a withdrawn scope are revoked at once. A client made public
    loses its secret; a client made confidential gets a random one nobody knows, to be
    replaced with ``client_rotate_secret`` (the stored hash of an empty secret would accept an
    empty one). Nothing is written or recorded when nothing changes.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        if application is None:
            raise ValidationError(f"No client with client_id {client_id!r}.")
        options = ClientOptions.objects.filter(application=application).first()
        before = _client_state(application, options)

        def keep(new, current):
            return current if new is None else new

        was_public = application.client_type == Application.CLIENT_PUBLIC
        values = {
            "name": keep(name, application.name),
            "redirect_uris": keep(redirect_uris, application.redirect_uris.split()),
            "post_logout_redirect_uris": keep(
                post_logout_redirect_uris, application.post_logout_redirect_uris.split()
            ),
            "allowed_origins": keep(allowed_origins, application.allowed_origins.split()),
            "public": keep(public, was_public),
        }
        option_values = {
            "backchannel_logout_uri": keep(
                backchannel_logout_uri, options.backchannel_logout_uri if options else ""
            ),
            "events_uri": keep(events_uri, options.events_uri if options else ""),
            "can_introspect": keep(can_introspect, options.can_introspect if options else False),
            "service_scopes": keep(
                service_scopes, options.service_scopes.split() if options else []
            ),
        }
        client_validate(**values, **option_values)
        _client_fill(
            application, first_party=keep(first_party, application.skip_authorization), **values
        )
        if values["public"] and not was_public:
            application.client_secret = ""
        elif was_public and not values["public"]:
            application.client_secret = generate_client_secret()
        application.full_clean(exclude=["client_secret"])
        after = {
            **{name: getattr(application, name) for name in CLIENT_FIELDS},
            "backchannel_logout_uri": option_values["backchannel_logout_uri"],
            "events_uri": option_values["events_uri"],
            "can_introspect": option_values["can_introspect"],
            "service_scopes": " ".join(sorted(set(option_values["service_scopes"]))),
        }
        changed = [field for field in after if after[field] != before[field]]
        if not changed and options is not None:
            return application
        application.save()
        options = _options_save(application, **option_values)
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_UPDATED,
            actor=actor,
            request=request,
            data={
                "client_id": application.client_id,
                "name": application.name,
                "fields": changed,
                "service_scopes": options.service_scopes.split(),
            },
        )
    return application


def client_rotate_secret(*, client_id: str, actor=None, request: HttpRequest | None = None) -> str:
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
            request=request,
            data={"client_id": client_id},
        )
    return plain_secret


def client_delete(*, client_id: str, actor=None, request: HttpRequest | None = None) -> None:
    """Delete a client (its tokens, grants and options go with it) and record it."""
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        if application is None:
            raise ValidationError(f"No client with client_id {client_id!r}.")
        name = application.name
        application.delete()
        audit_event_record(
            kind=AuditEvent.Kind.CLIENT_UPDATED,
            actor=actor,
            request=request,
            data={"client_id": client_id, "name": name, "deleted": True},
        )
