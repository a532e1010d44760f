"""Import shops' customers as identity server accounts (``manage.py import_users``).

A run reads every source twice. The first pass plans: it groups the rows by email, skips
what cannot be imported, and picks in each group the row whose values the account takes
(``prefer``). The second pass applies, batch by batch, one transaction per batch: the picked
rows create or update accounts, the other rows of a group join that account. Rows already
imported (accounts.ImportedAccount) change only the fields that changed at the source since.
See docs/user-import.md.
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import ImportedAccount, User
from accounts.services.import_plan import (
    CONFLICT_FIELDS,
    NEWEST,
    ImportPlan,
    ImportReport,
    import_plan_make,
)
from accounts.services.import_sources import (
    Source,
    SourceRow,
    import_source_batches,
    import_source_count,
    import_sources_connected,
    source_row_clean,
)
from audit.models import AuditEvent
from audit.services import audit_event_record

# The source values that become the account's (email is the key, last_login only at creation).
APPLIED_FIELDS = ("password", "given_name", "family_name", "is_active", "date_joined")

Progress = Callable[[str, int, int], None]


def _source_value(row: SourceRow, name: str) -> Any:
    """Return a row's value as the account stores it (an unusable password for none)."""
    if name == "password" and not row.password:
        return make_password(None)
    return getattr(row, name)


class _Applier:
    """The second pass: turn planned rows into accounts and links, one batch at a time."""

    def __init__(self, *, plan: ImportPlan, report: ImportReport, email_verified: bool) -> None:
        self.plan = plan
        self.report = report
        self.email_verified = email_verified
        self.now = timezone.now()
        # Dry runs create nothing, so the second phase learns from here what would exist.
        self.created_emails: set[str] = set()

    def batch(self, source: str, raws: list[tuple], *, winners: bool) -> None:
        """Apply one batch: the rows that give accounts their values, or those that join one."""
        plan = self.plan
        role = plan.winners if winners else plan.others
        rows = []
        for raw in raws:
            key = (source, str(raw[0]))
            if key in role:
                rows.append(source_row_clean(source=source, raw=raw, planned=True))
            elif winners and key not in plan.others and key not in plan.skipped:
                row = source_row_clean(source=source, raw=raw)
                self.report.skip(row, "added at the source during the import: run it again")
        if not rows:
            return
        links = {
            link.source_user_id: link
            for link in ImportedAccount.objects.filter(
                source=rows[0].source, source_user_id__in=[row.source_user_id for row in rows]
            )
        }
        users = {
            user.email: user for user in User.objects.filter(email__in=[r.email for r in rows])
        }
        owned = set(
            ImportedAccount.objects.filter(
                user_id__in=[user.pk for user in users.values()], created_account=True
            ).values_list("user_id", flat=True)
        )
        new_users: list[User] = []
        new_links: list[ImportedAccount] = []
        changed_users: dict[int, User] = {}
        changed_links: list[ImportedAccount] = []
        fields: set[str] = set()
        for row in rows:
            link, user = links.get(row.source_user_id), users.get(row.email)
            if link is not None and (user is None or link.user_id != user.pk):
                self.report.skip(row, "email changed at the source since the last import")
                continue
            if link is not None and link.digests == row.digests:
                self.report.counts["unchanged"] += 1
                continue
            if link is not None:
                # The row changed at the source: remember it, and pass on what changed.
                changed = [n for n in APPLIED_FIELDS if link.digests.get(n) != row.digests[n]]
                link.digests = row.digests
                changed_links.append(link)
            else:
                changed = list(APPLIED_FIELDS)
            if user is None and winners:
                new_users.append(self._user_new(row))
                new_links.append(self._link_new(row, new_users[-1], created=True))
                self._outcome(row, "created", password_applied=True)
                continue
            if user is None and row.email not in self.created_emails:
                self.report.skip(row, "the account it belongs to was not imported")
                continue
            if link is None:
                new_links.append(self._link_new(row, user, created=False))
            if not winners or user is None:
                self.report.counts["merged"] += 1
            elif user.pk not in owned:
                # The person already had an account here: it keeps its own password and name.
                self._existing_account_conflict(row, user)
                self.report.counts["merged"] += 1
            else:
                changed = [n for n in changed if getattr(user, n) != _source_value(row, n)]
                for name in changed:
                    setattr(user, name, _source_value(row, name))
                if changed:
                    user.updated_at = self.now
                    changed_users[user.pk] = user
                    fields.update(changed)
                self._outcome(row, "updated" if changed else "merged", "password" in changed)
        if self.report.dry_run:
            return
        with transaction.atomic():
            # Both backends return the new primary keys, which the new links then point at.
            User.objects.bulk_create(new_users)
            ImportedAccount.objects.bulk_create(new_links)
            if changed_users:
                User.objects.bulk_update(changed_users.values(), [*fields, "updated_at"])
            if changed_links:
                ImportedAccount.objects.bulk_update(changed_links, ["digests"])

    def _outcome(self, row: SourceRow, outcome: str, password_applied: bool) -> None:
        """Count a row that gave an account its values; list it when it needs a reset."""
        self.report.counts[outcome] += 1
        if outcome == "created":
            self.created_emails.add(row.email)
        if password_applied and row.password_reset_reason:
            self.report.password_reset.append(
                {
                    "email": row.email,
                    "source": row.source,
                    "id": row.source_user_id,
                    "reason": row.password_reset_reason,
                }
            )

    def _user_new(self, row: SourceRow) -> User:
        """Return an unsaved account with the row's values (the email is already normalised)."""
        return User(
            email=row.email,
            email_verified=self.email_verified,
            last_login=row.last_login,
            **{name: _source_value(row, name) for name in APPLIED_FIELDS},
        )

    def _link_new(self, row: SourceRow, user: User, *, created: bool) -> ImportedAccount:
        """Return an unsaved link from the row to the account."""
        return ImportedAccount(
            user=user,
            source=row.source,
            source_user_id=row.source_user_id,
            created_account=created,
            digests=row.digests,
            imported_at=self.now,
        )

    def _existing_account_conflict(self, row: SourceRow, user: User) -> None:
        """List a row that differs from an account the person made here before the import."""
        differs = [n for n in CONFLICT_FIELDS if getattr(user, n) != getattr(row, n)]
        if differs:
            self.report.conflicts.append(
                {
                    "email": row.email,
                    "rule": "existing identity server account",
                    "kept": {"source": "identity_server", "id": str(user.sub)},
                    "others": [
                        {"source": row.source, "id": row.source_user_id, "differs": differs}
                    ],
                }
            )


def users_import(
    *,
    sources: list[Source],
    prefer: str = NEWEST,
    dry_run: bool = False,
    batch_size: int = 1000,
    email_verified: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the users of every source; return the report (the same one when ``dry_run``).

    ``prefer`` is a source name (its values win when an email is in several sources) or
    "newest" (the row with the latest last_login, else date_joined, wins). A real run records
    one ``users_imported`` audit event with the counts.
    """
    if prefer != NEWEST and prefer not in {source.name for source in sources}:
        raise ValueError(f"--prefer {prefer}: not a source name or {NEWEST!r}.")
    report = ImportReport(dry_run=dry_run, prefer=prefer)
    with import_sources_connected(sources=sources):
        counts = {source.name: import_source_count(source=source) for source in sources}
        totals = {"scan": sum(counts.values()), "accounts": sum(counts.values())}
        done: dict[str, int] = {}

        def tick(phase: str, rows: int) -> None:
            done[phase] = done.get(phase, 0) + rows
            if progress is not None:
                progress(phase, done[phase], totals[phase])

        plan = import_plan_make(
            sources=sources, prefer=prefer, batch_size=batch_size, report=report, tick=tick
        )
        applier = _Applier(plan=plan, report=report, email_verified=email_verified)
        # Only sources with rows that join another row's account need the second sweep.
        joining = [source for source in sources if source.name in plan.joining_sources]
        totals["links"] = sum(counts[source.name] for source in joining)
        for winners, phase, swept in ((True, "accounts", sources), (False, "links", joining)):
            for source in swept:
                for batch in import_source_batches(source=source, batch_size=batch_size):
                    applier.batch(source.name, batch, winners=winners)
                    tick(phase, len(batch))
    if not dry_run:
        audit_event_record(
            kind=AuditEvent.Kind.USERS_IMPORTED,
            data={
                "sources": report.sources,
                "prefer": prefer,
                "counts": report.counts,
                "conflicts": len(report.conflicts),
                "password_reset": len(report.password_reset),
            },
        )
    return report
