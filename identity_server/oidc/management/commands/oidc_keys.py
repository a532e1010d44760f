"""List, rotate and retire the identity server's signing keys (docs/operations.md, "Keys")."""

from argparse import ArgumentParser
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from events.constants import SET_LIFETIME_SECONDS
from oidc import constants
from oidc.keys import (
    NEXT,
    RETIRED,
    SIGNING,
    KeyFile,
    NextKeyTooNew,
    key_files,
    key_retention_seconds,
    keys_drop,
    keys_rotate,
)

RELOAD_HINT = (
    "Running servers sign with the new key once reloaded: send gunicorn a HUP "
    "(docker compose kill -s HUP <service>) or restart them."
)


def retention_seconds() -> int:
    """Return how long a retired key stays published, from this server's token lifetimes."""
    return key_retention_seconds(
        lifetimes=[
            settings.OIDC_ID_TOKEN_LIFETIME,
            constants.LOGOUT_TOKEN_LIFETIME_SECONDS,
            SET_LIFETIME_SECONDS,
            settings.IDP_SESSION_MAX_AGE_SECONDS,
        ]
    )


class Command(BaseCommand):
    """``oidc_keys list|rotate|retire``: the keys of OIDC_KEYS_DIR."""

    help = "List, rotate and retire the OpenID Connect signing keys of OIDC_KEYS_DIR."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the three subcommands."""
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Show each key, its kid, state and dates.")
        rotate = sub.add_parser(
            "rotate",
            help="Sign with the next key (published since the last rotation); the old one stays "
            "published until its tokens expire; a new next key is published.",
        )
        rotate.add_argument(
            "--force",
            action="store_true",
            help="Rotate even though the next key was published less than 5 minutes ago (a "
            "leaked key): shops that do not know it yet fetch it at its first token.",
        )
        retire = sub.add_parser(
            "retire", help="Delete the retired keys whose tokens have all expired."
        )
        retire.add_argument(
            "--kid",
            help="Delete this retired key now, expired tokens or not (a leaked key): tokens "
            "it signed stop verifying at once.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        """Run the subcommand."""
        keys_dir = settings.OIDC_KEYS_DIR
        now = timezone.now()
        retention = retention_seconds()
        if action == "rotate":
            try:
                new = keys_rotate(
                    keys_dir=keys_dir,
                    key_file=settings.OIDC_RSA_PRIVATE_KEY_FILE,
                    now=now,
                    force=options["force"],
                )
            except NextKeyTooNew as error:
                raise CommandError(f"Not rotated: {error}") from error
            dropped = keys_drop(keys_dir=keys_dir, retention_seconds=retention, now=now)
            self.stdout.write(f"New signing key {new.kid} in {new.path}.")
            self._report_dropped(dropped)
            self.stdout.write(RELOAD_HINT)
        elif action == "retire":
            try:
                dropped = keys_drop(
                    keys_dir=keys_dir, retention_seconds=retention, now=now, kid=options["kid"]
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
            self._report_dropped(dropped)
            if dropped:
                self.stdout.write(RELOAD_HINT)
        else:
            self._list(keys_dir=keys_dir, retention=retention)

    def _report_dropped(self, dropped: list[KeyFile]) -> None:
        for key in dropped:
            self.stdout.write(f"Deleted retired key {key.path.name}.")
        if not dropped:
            self.stdout.write("No retired key to delete.")

    def _list(self, *, keys_dir: Path, retention: int) -> None:
        keys = key_files(keys_dir)
        signing = [key for key in keys if key.state == SIGNING]
        self.stdout.write(f"Keys in {keys_dir} (retired keys stay published {retention} s):")
        if not signing:
            legacy = settings.OIDC_RSA_PRIVATE_KEY_FILE
            missing = "" if legacy.is_file() else " (missing)"
            self.stdout.write(f"  active     OIDC_RSA_PRIVATE_KEY_FILE {legacy}{missing}")
        for key in reversed(keys):
            if key.state == RETIRED:
                until = key.since + timedelta(seconds=retention)
                label, dates = "retired", f"retired {_utc(key.since)}, deletable {_utc(until)}"
            elif key.state == NEXT:
                label, dates = "next", f"published {_utc(key.since)}, signs after a rotation"
            else:
                label = "active" if key == signing[-1] else "published"
                dates = f"created {_utc(key.since)}"
            self.stdout.write(f"  {label:<10} {key.kid}  {dates}  {key.path.name}")
        for name in settings.OIDC_RSA_RETIRED_KEY_FILES:
            self.stdout.write(f"  retired    OIDC_RSA_RETIRED_KEY_FILES {name}")


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}Z"
