"""Read-side of the API: what service clients may look up, and what changed since a cursor."""

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import DeletedAccount
from api.cursors import ChangePosition

User = get_user_model()

# Rows younger than this are left for the next call. `updated_at` is set when a row is saved,
# before its transaction commits: a transaction that commits late carries an older time than
# rows already listed, and would fall behind a cursor that had passed it. Waiting this long
# lets such transactions commit first (writes here are short). Clients apply idempotently.
CHANGES_SETTLE = timedelta(seconds=2)


@dataclass(frozen=True)
class UserLookup:
    """The users found for a batch of emails, and the emails that matched nobody."""

    users: list
    unknown: list[str]


def users_lookup_by_email(*, emails: Sequence[str]) -> UserLookup:
    """Find the users with these emails, case-insensitively, in one query.

    Each user appears once, in the order of the first email that found them; ``unknown``
    holds the emails that found nobody, as sent, each once. Emails are compared lower-cased
    and stripped, as ``accounts.models.User`` stores them; the comparison in SQL uses
    ``Lower(email)``, the expression of the case-insensitive unique constraint (its index).
    """
    normalize = User.normalize_email_address
    wanted = list(dict.fromkeys(normalize(email) for email in emails))
    found = {
        normalize(user.email): user
        for user in User.objects.alias(email_lower=Lower("email"))
        .filter(email_lower__in=wanted)
        .only("sub", "email", "email_verified", "is_active")
    }
    return UserLookup(
        users=[found[email] for email in wanted if email in found],
        unknown=[email for email in dict.fromkeys(emails) if normalize(email) not in found],
    )


@dataclass(frozen=True)
class ChangesPage:
    """One page of the reconcile list: users and tombstones in (changed at, sub) order."""

    rows: list[Model]
    has_more: bool
    # The position of the last row, or the one the page started after when it is empty.
    last: ChangePosition | None


def change_position(row: Model) -> ChangePosition:
    """Return where a user or a tombstone sits in the reconcile order."""
    at = row.deleted_at if isinstance(row, DeletedAccount) else row.updated_at
    return ChangePosition(at=at, sub=row.sub)


def _after(queryset: QuerySet, *, field: str, position: ChangePosition | None) -> QuerySet:
    """Keep the rows after ``position`` in (field, sub) order.

    A row-value comparison, ``(field, sub) > (at, s)``, which PostgreSQL (and SQLite) answer
    from the (field, sub) index: a page costs the same at any depth, even inside thousands of
    rows touched at one instant (a renamed group's members), where ``field >= at AND (field >
    at OR sub > s)`` would scan the whole tie. The ORM has no public row comparison.
    """
    if position is None:
        return queryset
    connection = connections[queryset.db]
    at_field, sub_field = (
        queryset.model._meta.get_field(field),
        queryset.model._meta.get_field("sub"),
    )
    quote = connection.ops.quote_name
    # S611: the SQL holds only the model's own column names; the values go as parameters.
    condition = RawSQL(  # noqa: S611
        f"({quote(at_field.column)}, {quote(sub_field.column)}) > (%s, %s)",
        (
            at_field.get_db_prep_value(position.at, connection),
            sub_field.get_db_prep_value(position.sub, connection),
        ),
        output_field=BooleanField(),
    )
    return queryset.filter(condition)


def users_changes(*, after: ChangePosition | None, limit: int) -> ChangesPage:
    """Return up to ``limit`` users and tombstones changed after ``after``, oldest first.

    Three queries whatever the page size or the table sizes: users (with the index on
    (updated_at, sub)), their groups, tombstones (index on (deleted_at, sub)); the two keyed
    lists are merged here. Rows changed in the last CHANGES_SETTLE are not listed yet.
    """
    horizon = timezone.now() - CHANGES_SETTLE
    users = (
        _after(User.objects.filter(updated_at__lte=horizon), field="updated_at", position=after)
        .order_by("updated_at", "sub")
        .prefetch_related("groups")[: limit + 1]
    )
    tombstones = _after(
        DeletedAccount.objects.filter(deleted_at__lte=horizon), field="deleted_at", position=after
    ).order_by("deleted_at", "sub")[: limit + 1]
    merged = heapq.merge(list(users), list(tombstones), key=change_position)
    rows = list(itertools.islice(merged, limit + 1))
    page = rows[:limit]
    return ChangesPage(
        rows=page,
        has_more=len(rows) > limit,
        last=change_position(page[-1]) if page else after,
    )
