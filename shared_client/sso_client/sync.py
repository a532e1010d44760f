"""Reconcile: repair the shadows from the provider's list of changed users (`sso_sync`).

Events pushed by the provider keep shadows current; this repairs whatever they missed (a site
that was down past the retry bound, restored from a backup, or edited by hand). Each shadow is
found by (issuer, sub) and set exactly as a sign-in would set it (provisioning), its status as
the events receiver would (shadow_status). Users this site has no shadow of are skipped.
"""

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from sso_client import constants as c
from sso_client.conf import sso_settings
from sso_client.exceptions import ProviderMisconfigured
from sso_client.models import IdentityLink, SyncState
from sso_client.provisioning import shadow_user_changes, shadow_user_update
from sso_client.service_api import (
    CHANGES_DEFAULT_LIMIT,
    USERS_SYNC_SCOPE,
    ChangesPage,
    ServiceTokenRefused,
    UserChange,
    idp_users_changes,
    service_access_token,
)
from sso_client.shadow_status import shadow_status_changes, shadow_status_set
from sso_client.signals import sso_event_send

logger = logging.getLogger(__name__)

Changes = dict[str, tuple[Any, Any]]


def _json_value(value: Any) -> Any:
    """Return a field value as JSON can hold it (a date as ISO 8601, anything odd as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass
class SyncReport:
    """What a run changed (or, dry, would change), how many entries it read, where it stopped."""

    issuer: str
    dry_run: bool
    cursor: str | None = None
    pages: int = 0
    scanned: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    hook_failures: int = 0

    def record(self, *, link: IdentityLink, changes: Changes) -> None:
        """Record the changes of one shadow."""
        fields = {
            name: [_json_value(old), _json_value(new)] for name, (old, new) in changes.items()
        }
        user_id = link.user_id if isinstance(link.user_id, int) else str(link.user_id)
        self.changes.append({"sub": link.sub, "user_id": user_id, "fields": fields})

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON document of the run (what `--dry-run` prints)."""
        return {"changes": self.changes, "scanned": self.scanned, "cursor": self.cursor}

    def summary(self) -> str:
        """Return one line: how many shadows were repaired out of how many entries read."""
        verb = "Would repair" if self.dry_run else "Repaired"
        line = (
            f"{verb} {len(self.changes)} shadow(s); {self.scanned} user(s) read from "
            f"{self.issuer} in {self.pages} page(s)."
        )
        if self.hook_failures:
            line += f" {self.hook_failures} sso_event_received receiver(s) failed (logged)."
        return line


def stored_cursor(*, issuer: str) -> str | None:
    """Return the cursor the last run stopped at for `issuer`, or None (start from the top)."""
    return SyncState.objects.filter(issuer=issuer).values_list("cursor", flat=True).first()


def _entry_changes(*, link: IdentityLink, change: UserChange) -> Changes:
    """Return what applying `change` would change on the shadow of `link`."""
    if change.deleted:
        return shadow_status_changes(link=link, active=False, anonymise=True)
    changes = shadow_user_changes(link=link, claims=change.claims)
    changes.update(shadow_status_changes(link=link, active=change.active, anonymise=False))
    return changes


def _entry_events(*, change: UserChange, changes: Changes) -> list[tuple[str, dict[str, Any]]]:
    """Return the (event type, payload) pairs a shop's receivers hear for these changes."""
    if change.deleted:
        return [(c.EVENT_ACCOUNT_PURGED, {})]
    events = []
    if set(changes) - {"is_active"}:
        events.append((c.EVENT_CLAIMS_CHANGE, {"claims": change.claims}))
    if "is_active" in changes:
        status = c.EVENT_ACCOUNT_ENABLED if change.active else c.EVENT_ACCOUNT_DISABLED
        events.append((status, {}))
    return events


def _entry_apply(*, link: IdentityLink, change: UserChange, changes: Changes) -> int:
    """Apply `change` to the shadow of `link`; return how many signal receivers failed."""
    if change.deleted:
        shadow_status_set(link=link, active=False, anonymise=True)
    else:
        if set(changes) - {"is_active"}:
            shadow_user_update(
                user=link.user, issuer=link.issuer, sub=link.sub, claims=change.claims
            )
        if "is_active" in changes:
            # Also ends the shadow's local sessions when it is made inactive.
            shadow_status_set(link=link, active=change.active)
    failures = 0
    for event_type, payload in _entry_events(change=change, changes=changes):
        failures += len(
            sso_event_send(
                event_type=event_type,
                sub=link.sub,
                user=link.user,
                payload=payload,
                claims=change.claims if event_type == c.EVENT_CLAIMS_CHANGE else {},
            )
        )
    return failures


def _event_time_advance(*, link: IdentityLink, change: UserChange) -> None:
    """Record the provider's state time as the shadow's last event time.

    A pushed event older than the state just applied (a retry still in flight) is then
    acknowledged without being applied, so it cannot undo the repair. A newer change at the
    provider has a later time: its event applies, and the next run lists it again.
    """
    if link.last_event_at is None or link.last_event_at < change.updated_at:
        link.last_event_at = change.updated_at
        link.save(update_fields=["last_event_at"])


def _page_apply(*, issuer: str, page: ChangesPage, report: SyncReport) -> None:
    """Apply (or, dry, only diff) one page to the shadows of this issuer, in one query for all."""
    links = IdentityLink.objects.select_related("user").filter(
        issuer=issuer, sub__in=[change.sub for change in page.users]
    )
    if not report.dry_run:
        links = links.select_for_update()
    by_sub = {link.sub: link for link in links}
    for change in page.users:
        link = by_sub.get(change.sub)
        if link is None:
            continue
        changes = _entry_changes(link=link, change=change)
        if changes:
            report.record(link=link, changes=changes)
        if report.dry_run:
            continue
        if changes:
            report.hook_failures += _entry_apply(link=link, change=change, changes=changes)
        _event_time_advance(link=link, change=change)


def users_sync(
    *,
    dry_run: bool = False,
    since: str | None = None,
    full: bool = False,
    page_size: int = CHANGES_DEFAULT_LIMIT,
    on_page: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    """Page through the provider's changed users and repair the shadows; return the report.

    Starts after `since`, or from the beginning with `full`, else from the cursor the last run
    stored for SSO_CLIENT["ISSUER"]. Each page is applied in one transaction that also stores
    the page's cursor, so a failure keeps the pages done and the next run goes on from there;
    re-applying an entry changes nothing. A dry run reads every page and changes nothing, not
    even the stored cursor. `on_page` is called after each page (progress).
    Raise ValueError for a page size out of range, ProviderUnavailable, ServiceAPIError or
    ProviderMisconfigured when the provider fails.
    """
    issuer = sso_settings.ISSUER
    if not issuer:
        raise ProviderMisconfigured('SSO_CLIENT["ISSUER"] is not set')
    report = SyncReport(issuer=issuer, dry_run=dry_run)
    cursor = since if since is not None else (None if full else stored_cursor(issuer=issuer))
    token = service_access_token(scope=USERS_SYNC_SCOPE)
    while True:
        try:
            page = idp_users_changes(access_token=token, cursor=cursor, limit=page_size)
        except ServiceTokenRefused:
            # The token may have expired during a long run: one more try with a fresh one.
            token = service_access_token(scope=USERS_SYNC_SCOPE)
            page = idp_users_changes(access_token=token, cursor=cursor, limit=page_size)
        # A dry run only reads: no transaction (SQLite's IMMEDIATE mode would take the write lock).
        with nullcontext() if dry_run else transaction.atomic():
            _page_apply(issuer=issuer, page=page, report=report)
            if not dry_run:
                SyncState.objects.update_or_create(
                    issuer=issuer, defaults={"cursor": page.next_cursor}
                )
        cursor = report.cursor = page.next_cursor
        report.pages += 1
        report.scanned += len(page.users)
        if on_page is not None:
            on_page(report)
        if not page.has_more:
            return report
