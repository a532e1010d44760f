"""Register, update, list and rotate OAuth clients from the command line (JSON on stdout)."""

import json
from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from oidc import constants
from oidc.services.clients import client_register, client_rotate_secret, client_update

Application = get_application_model()

EVENTS_URI_HELP = (
    "RFC 8935: where Security Event Tokens about the client's users are POSTed (docs/events.md)."
)
SERVICE_SCOPE_HELP = (
    "A service scope the client may obtain for itself with the client credentials grant "
    f"(known: {', '.join(sorted(constants.SERVICE_SCOPES))}). Repeatable; confidential "
    "clients only."
)


class Command(BaseCommand):
    """``oidc_client add|update|list|rotate-secret``: every answer is one JSON document."""

    help = "Manage OpenID Connect clients: add, update, list, rotate-secret."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the four subcommands."""
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register a client and print its credentials.")
        add.add_argument("--name", required=True)
        add.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        add.add_argument(
            "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris"
        )
        add.add_argument("--backchannel-logout-uri", default="")
        add.add_argument("--events-uri", default="", help=EVENTS_URI_HELP)
        add.add_argument("--first-party", action="store_true", help="Skip the consent screen.")
        add.add_argument("--public", action="store_true", help="No secret (PKCE only).")
        add.add_argument(
            "--allowed-origin",
            action="append",
            default=[],
            dest="allowed_origins",
            help="A browser app's origin (scheme://host[:port]) allowed to call the token, "
            "userinfo and revocation endpoints (CORS). Repeatable.",
        )
        add.add_argument(
            "--introspect",
            action="store_true",
            help="A resource server: may introspect tokens issued to other clients.",
        )
        add.add_argument(
            "--service-scope",
            action="append",
            default=[],
            dest="service_scopes",
            help=SERVICE_SCOPE_HELP,
        )
        update = sub.add_parser(
            "update", help="Change a client; options not given keep their value."
        )
        update.add_argument("client_id")
        update.add_argument("--name")
        update.add_argument("--redirect-uri", action="append", dest="redirect_uris")
        update.add_argument("--post-logout-redirect-uri", action="append", dest="post_logout_uris")
        update.add_argument("--backchannel-logout-uri")
        events = update.add_mutually_exclusive_group()
        events.add_argument("--events-uri", help=EVENTS_URI_HELP + " Empty clears it.")
        events.add_argument(
            "--no-events-uri", action="store_true", help="Send this client no more events."
        )
        update.add_argument(
            "--allowed-origin",
            action="append",
            dest="allowed_origins",
            help="Replaces the allowed origins (repeatable); --no-allowed-origins clears them.",
        )
        update.add_argument("--no-allowed-origins", action="store_true")
        update.add_argument(
            "--introspect", action=BooleanOptionalAction, default=None, dest="introspect"
        )
        service = update.add_mutually_exclusive_group()
        service.add_argument(
            "--service-scope",
            action="append",
            dest="service_scopes",
            help=SERVICE_SCOPE_HELP + " Replaces the client's service scopes.",
        )
        service.add_argument(
            "--no-service-scopes", action="store_true", help="Withdraw every service scope."
        )
        sub.add_parser("list", help="List clients (never their secrets).")
        rotate = sub.add_parser("rotate-secret", help="Issue a new secret and print it.")
        rotate.add_argument("client_id")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the chosen subcommand; bad input becomes a CommandError (exit code 1)."""
        try:
            result = getattr(self, f"handle_{options['action'].replace('-', '_')}")(options)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(json.dumps(result, indent=2))

    def handle_add(self, options: dict[str, Any]) -> dict[str, Any]:
        """Register a client; the secret is printed here and nowhere else."""
        application, secret = client_register(
            name=options["name"],
            redirect_uris=options["redirect_uris"],
            post_logout_redirect_uris=options["post_logout_uris"],
            backchannel_logout_uri=options["backchannel_logout_uri"],
            events_uri=options["events_uri"],
            first_party=options["first_party"],
            public=options["public"],
            allowed_origins=options["allowed_origins"],
            can_introspect=options["introspect"],
            service_scopes=options["service_scopes"],
        )
        return {
            "client_id": application.client_id,
            "client_secret": secret,
            "issuer": oauth2_settings.OIDC_ISS_ENDPOINT,
        }

    def handle_update(self, options: dict[str, Any]) -> dict[str, Any]:
        """Change the given fields of a client and print it."""
        origins = [] if options["no_allowed_origins"] else options["allowed_origins"]
        service_scopes = [] if options["no_service_scopes"] else options["service_scopes"]
        events_uri = "" if options["no_events_uri"] else options["events_uri"]
        application = client_update(
            client_id=options["client_id"],
            name=options["name"],
            redirect_uris=options["redirect_uris"],
            post_logout_redirect_uris=options["post_logout_uris"],
            backchannel_logout_uri=options["backchannel_logout_uri"],
            events_uri=events_uri,
            allowed_origins=origins,
            can_introspect=options["introspect"],
            service_scopes=service_scopes,
        )
        return _describe(application)

    def handle_list(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        """Describe every client without its secret."""
        clients = Application.objects.select_related("options").order_by("name", "client_id")
        return [_describe(app) for app in clients]

    def handle_rotate_secret(self, options: dict[str, Any]) -> dict[str, Any]:
        """Issue a new secret; the old one stops working at once."""
        secret = client_rotate_secret(client_id=options["client_id"])
        return {"client_id": options["client_id"], "client_secret": secret}


def _describe(app) -> dict[str, Any]:
    """Describe a client without its secret."""
    options = getattr(app, "options", None)
    return {
        "client_id": app.client_id,
        "name": app.name,
        "client_type": app.client_type,
        "first_party": app.skip_authorization,
        "redirect_uris": app.redirect_uris.split(),
        "post_logout_redirect_uris": app.post_logout_redirect_uris.split(),
        "backchannel_logout_uri": getattr(options, "backchannel_logout_uri", ""),
        "events_uri": getattr(options, "events_uri", ""),
        "allowed_origins": app.allowed_origins.split(),
        "introspect": getattr(options, "can_introspect", False),
        "service_scopes": options.service_scopes.split() if options else [],
    }
