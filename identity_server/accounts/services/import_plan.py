"""The first pass of ``manage.py import_users``: group rows by email, pick each group's winner.

Also the report both passes fill in. See accounts/services/user_import.py for the second pass.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accounts.services.import_sources import (
    Source,
    SourceRow,
    import_source_batches,
    source_row_clean,
)

NEWEST = "newest"
OUTCOMES = ("created", "updated", "merged", "unchanged", "skipped")
CONFLICT_FIELDS = ("password", "given_name", "family_name")


@dataclass
class ImportReport:
    """What a run did (or, dry, would do): one outcome per source row, and the details."""

    dry_run: bool
    prefer: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    skipped: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    password_reset: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "dry_run": self.dry_run,
            "prefer": self.prefer,
            "sources": self.sources,
            "counts": self.counts,
            "skipped": self.skipped,
            "conflicts": self.conflicts,
            "password_reset": self.password_reset,
        }

    def skip(self, row: SourceRow, reason: str, *, source_user_id: str = "") -> None:
        """Record a row that is not imported, and why."""
        self.counts["skipped"] += 1
        self.skipped.append(
            {
                "source": row.source,
                "id": source_user_id or row.source_user_id,
                "email": row.email,
                "reason": reason,
            }
        )


@dataclass(slots=True)
class _Candidate:
    """What the plan keeps of a row: enough to pick a winner and spot a conflict."""

    source: str
    source_user_id: str
    order: int
    activity: Any
    keys: tuple[int, ...]


@dataclass
class ImportPlan:
    """The first pass's decisions: each importable row's role, by (source, source_user_id)."""

    winners: set[tuple[str, str]] = field(default_factory=set)
    others: set[tuple[str, str]] = field(default_factory=set)
    skipped: set[tuple[str, str]] = field(default_factory=set)

    @property
    def joining_sources(self) -> set[str]:
        """Return the names of the sources that have rows joining another row's account."""
        return {source for source, _ in self.others}


def _winner(candidates: list[_Candidate], prefer: str) -> _Candidate:
    """Pick the row whose values the account takes: the preferred source's, else the newest."""
    if prefer != NEWEST:
        preferred = [c for c in candidates if c.source == prefer]
        if preferred:
            return preferred[0]
    # Most recent activity wins; on a tie, the source named first.
    return max(candidates, key=lambda c: (c.activity, -c.order))


def import_plan_make(
    *, sources: list[Source], prefer: str, batch_size: int, report: ImportReport, tick: Callable
) -> ImportPlan:
    """Read every source once and decide each row's role; record skips and conflicts."""
    groups: dict[str, list[_Candidate]] = {}
    plan = ImportPlan()
    duplicates: list[tuple[SourceRow, str]] = []
    for order, source in enumerate(sources):
        rows_read = 0
        for batch in import_source_batches(source=source, batch_size=batch_size):
            rows_read += len(batch)
            for raw in batch:
                row = source_row_clean(source=source.name, raw=raw)
                if row.skip_reason:
                    plan.skipped.add((row.source, row.source_user_id))
                    report.skip(row, row.skip_reason)
                    continue
                candidate = _Candidate(
                    source=row.source,
                    source_user_id=row.source_user_id,
                    order=order,
                    activity=row.activity,
                    # hash() is stable within a run, which is all the plan lives for.
                    keys=tuple(hash(getattr(row, name)) for name in CONFLICT_FIELDS),
                )
                group = groups.setdefault(row.email, [])
                same = next((c for c in group if c.source == row.source), None)
                if same is None:
                    group.append(candidate)
                    continue
                # Two accounts of one shop share the email: the one used last is the customer's.
                if candidate.activity > same.activity:
                    group[group.index(same)] = candidate
                    candidate, same = same, candidate
                duplicates.append((row, candidate.source_user_id))
            tick("scan", len(batch))
        report.sources[source.name] = {"table": source.table, "rows": rows_read}
    for row, source_user_id in duplicates:
        plan.skipped.add((row.source, source_user_id))
        report.skip(
            row,
            f"duplicate email within source {row.source}: the row active last is imported",
            source_user_id=source_user_id,
        )
    for email, group in groups.items():
        winner = _winner(group, prefer)
        plan.winners.add((winner.source, winner.source_user_id))
        others = []
        for candidate in group:
            if candidate is winner:
                continue
            plan.others.add((candidate.source, candidate.source_user_id))
            differs = [
                name
                for name, mine, theirs in zip(
                    CONFLICT_FIELDS, candidate.keys, winner.keys, strict=True
                )
                if mine != theirs
            ]
            if differs:
                others.append(
                    {"source": candidate.source, "id": candidate.source_user_id, "differs": differs}
                )
        if others:
            report.conflicts.append(
                {
                    "email": email,
                    "rule": f"prefer {prefer}" if prefer != NEWEST else NEWEST,
                    "kept": {"source": winner.source, "id": winner.source_user_id},
                    "others": others,
                }
            )
    return plan
