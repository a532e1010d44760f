"""What a shop and the identity server's outbox hold about one customer, read for the
account-events tests, and the checks they poll with ``support.stack.wait_for``."""

from __future__ import annotations

import json
from collections.abc import Callable

from support.stack import Stack
from support.web import WebClient


def signed_in_at(client: WebClient, shop_url: str) -> bool:
    """Return whether the shop's next page shows the visitor signed in (no action but a GET)."""
    client.get(f"{shop_url}/")
    return client.page().select_one(".user-name") is not None


def signed_out_of(client: WebClient, shop_url: str) -> Callable[[], bool]:
    """Return a check for ``wait_for``: the shop's next page is anonymous."""
    return lambda: not signed_in_at(client, shop_url)


def _shell_json(stack: Stack, project: str, code: str) -> object:
    """Run ``code`` (which prints one JSON document last) in a project's shell; return it."""
    return json.loads(stack.shell(project, code).splitlines()[-1])


def shadow(stack: Stack, project: str, sub: str) -> dict:
    """Return the shop's shadow of the IdP subject ``sub``: profile, status, SSO sessions.

    Found by its IdentityLink, so an anonymised shadow is found too. ``sids`` lists the IdP
    session of each of its SSO sessions (those a logout token ends).
    """
    return _shell_json(
        stack,
        project,
        "import json; from sso_client.models import IdentityLink, SSOSession; "
        f"link = IdentityLink.objects.select_related('user').get(sub={sub!r}); u = link.user; "
        "print(json.dumps({'first_name': u.first_name, 'last_name': u.last_name, "
        "'email': u.email, 'is_active': u.is_active, 'picture': link.picture, "
        "'last_event_at': str(link.last_event_at), "
        "'sids': sorted(SSOSession.objects.filter(user=u).values_list('sid', flat=True))}))",
    )


def deliveries(stack: Stack, sub: str, *, client_id: str | None = None) -> list[dict]:
    """Return the outbox deliveries about the IdP subject ``sub``, oldest first."""
    only_client = f".filter(application__client_id={client_id!r})" if client_id else ""
    return _shell_json(
        stack,
        "identity_server",
        "import json; from events.models import Delivery; "
        f"rows = Delivery.objects.filter(event__user_sub={sub!r}){only_client}.order_by('id'); "
        "print(json.dumps([{'id': d.id, 'type': d.event.type, 'kind': d.kind, 'uri': d.uri, "
        "'client_id': d.application.client_id, 'status': d.status, 'attempts': d.attempts, "
        "'txn': str(d.event_id), 'last_status_code': d.last_status_code, "
        "'last_error': d.last_error} for d in rows.select_related('event', 'application')]))",
    )
