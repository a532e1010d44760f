"""Read-side of the API: what service clients may look up."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

User = get_user_model()


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
