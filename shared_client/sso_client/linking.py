"""Link pre-existing local users to the provider's users with the same verified email.

DESIGN: users are never matched by email at sign-in. Email matching is allowed only here, once,
when a project moves its existing users onto SSO, and only on an email the provider has
verified. After the link, sign-in finds the old user by (issuer, sub) like any shadow.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from sso_client.conf import sso_settings
from sso_client.exceptions import ProviderMisconfigured
from sso_client.models import IdentityLink
from sso_client.service_api import (
    LOOKUP_MAX_EMAILS,
    USERS_READ_SCOPE,
    IdPUser,
    idp_users_lookup,
    service_access_token,
)

logger = logging.getLogger(__name__)

LINKED = "linked"
# Why a local user was not linked, in the order the report counts them.
ALREADY_LINKED = "already linked"
OTHER_ISSUER = "linked to another issuer"
NO_EMAIL = "no email"
AMBIGUOUS = "ambiguous"
UNMATCHED = "unmatched"
UNVERIFIED = "unverified"
CONFLICT = "conflict"
DELETED = "deleted"
REASONS = (
    ALREADY_LINKED,
    OTHER_ISSUER,
    NO_EMAIL,
    AMBIGUOUS,
    UNMATCHED,
    UNVERIFIED,
    CONFLICT,
    DELETED,
)


def email_key(email: str) -> str:
    """Return the form emails are compared in: stripped and lower-cased."""
    return email.strip().lower()


def _json_pk(pk: Any) -> Any:
    return pk if isinstance(pk, int) else str(pk)


@dataclass(frozen=True)
class LocalUser:
    """The fields of a local user the report shows."""

    pk: Any
    username: str
    email: str

    def entry(self, **extra: Any) -> dict[str, Any]:
        """Return this user's entry in the report, with `extra` fields."""
        return {
            "user_id": _json_pk(self.pk),
            "username": self.username,
            "email": self.email,
            **extra,
        }


@dataclass
class LinkReport:
    """What a run linked (or, in a dry run, would link) and why every other user was skipped."""

    issuer: str
    dry_run: bool
    linked: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, user: LocalUser, reason: str, **extra: Any) -> None:
        """Record that `user` is not linked, for `reason` (one of REASONS)."""
        self.skipped.append(user.entry(reason=reason, **extra))

    def counts(self) -> dict[str, int]:
        """Return how many users were linked and how many were skipped for each reason."""
        counts = {LINKED: len(self.linked), **dict.fromkeys(REASONS, 0)}
        for entry in self.skipped:
            counts[entry["reason"]] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON document of the report, users in primary key order."""

        def order(entry: dict[str, Any]) -> tuple[int, Any]:
            # Integer and string keys sort apart, so a UUID primary key sorts as well.
            pk = entry["user_id"]
            return (0, pk, "") if isinstance(pk, int) else (1, 0, pk)

        return {
            "issuer": self.issuer,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "linked": sorted(self.linked, key=order),
            "skipped": sorted(self.skipped, key=order),
        }

    def summary(self) -> str:
        """Return one line: how many users were linked, and the skipped ones by reason."""
        counts = self.counts()
        verb = "Would link" if self.dry_run else "Linked"
        reasons = ", ".join(f"{reason} {counts[reason]}" for reason in REASONS if counts[reason])
        skipped = f"; skipped {len(self.skipped)}" + (f" ({reasons})" if reasons else "")
        return f"{verb} {counts[LINKED]} user(s) to {self.issuer}{skipped}."


def _candidates_collect(*, issuer: str, report: LinkReport) -> dict[str, list[LocalUser]]:
    """Return the users to look up, by email key; report the others."""
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    linked_to = dict(IdentityLink.objects.values_list("user_id", "issuer"))
    rows = user_model._default_manager.order_by("pk").values_list(
        "pk", user_model.USERNAME_FIELD, email_field
    )
    by_email: dict[str, list[LocalUser]] = {}
    for pk, username, email in rows:
        user = LocalUser(pk=pk, username=str(username), email=email or "")
        if pk in linked_to:
            report.skip(user, ALREADY_LINKED if linked_to[pk] == issuer else OTHER_ISSUER)
        elif not email_key(user.email):
            report.skip(user, NO_EMAIL)
        else:
            by_email.setdefault(email_key(user.email), []).append(user)
    return by_email


def _provider_users_fetch(*, emails: list[str], batch_size: int) -> dict[str, list[IdPUser]]:
    """Return the provider's users by email key, asking `batch_size` emails per request."""
    found: dict[str, list[IdPUser]] = {}
    if not emails:
        return found
    token = service_access_token(scope=USERS_READ_SCOPE)
    for start in range(0, len(emails), batch_size):
        batch = emails[start : start + batch_size]
        asked = set(batch)
        for idp_user in idp_users_lookup(emails=batch, access_token=token):
            key = email_key(idp_user.email)
            # An answer about an email not asked for is not evidence about anybody here.
            if key in asked and idp_user not in found.get(key, []):
                found.setdefault(key, []).append(idp_user)
    return found


def _link_one(
    *,
    user: LocalUser,
    matches: list[IdPUser],
    issuer: str,
    report: LinkReport,
    subs_taken: set[str],
) -> None:
    """Link `user` to its one verified provider user, or report why not (in a transaction)."""
    if not matches:
        report.skip(user, UNMATCHED)
        return
    if len({match.sub for match in matches}) > 1:
        report.skip(user, AMBIGUOUS, subs=sorted(match.sub for match in matches))
        return
    idp_user = matches[0]
    if not idp_user.email_verified:
        report.skip(user, UNVERIFIED, sub=idp_user.sub)
        return
    user_model = get_user_model()
    # Locked, so the user cannot be deleted or linked by another run until this batch commits.
    local = user_model._default_manager.select_for_update().filter(pk=user.pk).first()
    if local is None:
        report.skip(user, DELETED)
        return
    existing = IdentityLink.objects.filter(user_id=user.pk).values_list("issuer", flat=True).first()
    if existing is not None:
        report.skip(user, ALREADY_LINKED if existing == issuer else OTHER_ISSUER)
        return
    holder = (
        IdentityLink.objects.filter(issuer=issuer, sub=idp_user.sub)
        .values_list("user_id", flat=True)
        .first()
    )
    if holder is not None or idp_user.sub in subs_taken:
        report.skip(user, CONFLICT, sub=idp_user.sub, linked_user_id=_json_pk(holder))
        return
    if not report.dry_run:
        try:
            with transaction.atomic():
                IdentityLink.objects.create(user=local, issuer=issuer, sub=idp_user.sub)
                if sso_settings.LINK_MAKES_PASSWORD_UNUSABLE:
                    local.set_unusable_password()
                    local.save(update_fields=["password"])
        except IntegrityError:
            # A sign-in created a shadow for this sub since the check above.
            report.skip(user, CONFLICT, sub=idp_user.sub, linked_user_id=None)
            return
        logger.info("sso_client: linked local user %s to sub %s", user.pk, idp_user.sub)
    subs_taken.add(idp_user.sub)
    report.linked.append(user.entry(sub=idp_user.sub))


def local_users_link(*, dry_run: bool = False, batch_size: int = LOOKUP_MAX_EMAILS) -> LinkReport:
    """Link each local user without an identity to the provider user with its verified email.

    Candidates are the users of AUTH_USER_MODEL with a non-empty email and no IdentityLink.
    Emails are compared case-insensitively. A user is linked only when it is the only local
    user with its email, the provider knows exactly one user with that email, has verified it,
    and no local user is linked to that sub yet; otherwise it is reported with the reason.
    Linked users get an unusable password unless LINK_MAKES_PASSWORD_UNUSABLE is False.

    Every lookup is made before anything is written, so a provider failure links nobody; then
    each batch of `batch_size` emails is written in one transaction. Idempotent: a second run
    reports the users linked by the first as "already linked". A dry run writes nothing.
    Raise ValueError for a batch size out of 1..LOOKUP_MAX_EMAILS, and ProviderUnavailable,
    ServiceAPIError or ProviderMisconfigured when the provider fails.
    """
    if not 1 <= batch_size <= LOOKUP_MAX_EMAILS:
        raise ValueError(f"batch size must be 1 to {LOOKUP_MAX_EMAILS}, got {batch_size}")
    issuer = sso_settings.ISSUER
    if not issuer:
        raise ProviderMisconfigured('SSO_CLIENT["ISSUER"] is not set')
    report = LinkReport(issuer=issuer, dry_run=dry_run)
    by_email = _candidates_collect(issuer=issuer, report=report)
    to_ask = []
    for key, users in by_email.items():
        if len(users) > 1:
            for user in users:
                report.skip(user, AMBIGUOUS)
        else:
            to_ask.append(key)
    found = _provider_users_fetch(emails=to_ask, batch_size=batch_size)
    subs_taken: set[str] = set()
    for start in range(0, len(to_ask), batch_size):
        with transaction.atomic():
            for key in to_ask[start : start + batch_size]:
                _link_one(
                    user=by_email[key][0],
                    matches=found.get(key, []),
                    issuer=issuer,
                    report=report,
                    subs_taken=subs_taken,
                )
    return report
