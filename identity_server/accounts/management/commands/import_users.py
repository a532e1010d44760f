"""Import shops' customers (Django auth_user tables) as identity server accounts."""

import json
import sys
import time
from argparse import ArgumentParser, BooleanOptionalAction
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from accounts.services.import_sources import ImportSourceError, import_sources_parse
from accounts.services.user_import import NEWEST, ImportReport, users_import


class ProgressLine:
    """One self-overwriting stderr line per phase: rows done, rows/s and the ETA."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started: dict[str, float] = {}
        self.shown = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Show progress at most five times a second, and always at a phase's end."""
        now = time.monotonic()
        started = self.started.setdefault(phase, now)
        if now - self.shown < 0.2 and done < total:
            return
        self.shown = now
        rate = done / max(now - started, 1e-6)
        eta = max(total - done, 0) / rate if rate else 0
        end = "\n" if done >= total else ""
        self.stream.write(
            f"\r{phase:>8}: {done}/{total} rows, {rate:,.0f} rows/s, ETA {eta:.0f}s\033[K{end}"
        )
        self.stream.flush()


def summary(report: ImportReport) -> str:
    """Return the report in a few lines."""
    sources = ", ".join(f"{name}: {info['rows']} rows" for name, info in report.sources.items())
    counts = ", ".join(f"{outcome} {count}" for outcome, count in report.counts.items())
    return (
        f"{'Dry run (nothing written). ' if report.dry_run else ''}Sources {sources}.\n"
        f"{counts}; {len(report.conflicts)} conflicts (--prefer {report.prefer}), "
        f"{len(report.password_reset)} accounts need a password reset.\n"
        "--report FILE writes the details (JSON)."
    )


class Command(BaseCommand):
    """``import_users --source-url [NAME=]DATABASE_URL ...``: see docs/user-import.md."""

    help = (
        "Import the users of existing Django projects (their auth_user table, only ever read) "
        "as accounts here: same email, same password hash. Emails are matched "
        "case-insensitively; people in several sources become one account. Imported accounts "
        "get email_verified=True, on the shop's word (--no-email-verified to leave it False). "
        "Running again with the same source names changes only what changed at the source."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the options."""
        parser.add_argument(
            "--source-url",
            action="append",
            required=True,
            dest="source_urls",
            metavar="[NAME=]DATABASE_URL",
            help="A database to import from (repeatable). NAME (default a, b, ... in order) "
            "identifies the source from run to run: keep it stable.",
        )
        parser.add_argument("--table", default="auth_user", help="The user table.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            dest="mapping",
            metavar="FIELD=COLUMN",
            help="Read FIELD (id, email, password, given_name, family_name, is_active, "
            "date_joined, last_login) from COLUMN. Repeatable.",
        )
        parser.add_argument(
            "--prefer",
            default=NEWEST,
            metavar="NAME|newest",
            help="Whose values win when an email is in several sources: a source name, or "
            "newest (latest last_login, else date_joined). Default: newest.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Write nothing; report what would happen."
        )
        parser.add_argument("--report", type=Path, help="Write the JSON report to this file.")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--email-verified",
            action=BooleanOptionalAction,
            default=True,
            help="Mark new accounts' emails verified (default: yes, the shop vouches for them).",
        )
        parser.add_argument(
            "--progress", action="store_true", help="Progress on stderr even when not a TTY."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Parse the sources, run the import, write the report or a summary."""
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        show_progress = options["progress"] or sys.stderr.isatty()
        try:
            sources = import_sources_parse(
                urls=options["source_urls"], table=options["table"], mapping=options["mapping"]
            )
            report = users_import(
                sources=sources,
                prefer=options["prefer"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                email_verified=options["email_verified"],
                progress=ProgressLine(sys.stderr) if show_progress else None,
            )
        except (ImportSourceError, ValueError) as error:
            raise CommandError(str(error)) from None
        document = json.dumps(report.as_dict(), indent=2)
        if options["report"]:
            options["report"].write_text(document + "\n")
        if options["dry_run"]:
            self.stdout.write(document)
        else:
            self.stdout.write(summary(report))
