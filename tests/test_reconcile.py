"""Reconcile over the live stack: `sso_sync` at shop A repairs a shadow edited by hand."""

import json

from conftest import idp_sub
from support.stack import wait_for
from support.web import WebClient, sign_in_at_shop


def shadow_first_name(stack, email: str) -> str:
    """Return the first name of shop A's shadow with this email."""
    out = stack.shell(
        "project_a",
        "from django.contrib.auth import get_user_model; "
        f"print(get_user_model().objects.get(email={email!r}).first_name)",
    )
    return out.splitlines()[-1]


def sso_sync(stack, *args: str) -> str:
    """Run shop A's `manage.py sso_sync`; return what it printed on stdout."""
    return stack.run("project_a", "manage", "sso_sync", *args).stdout


def changes_for(report: str, sub: str) -> list[dict]:
    """Return the entries of a --dry-run report about ``sub``."""
    return [change for change in json.loads(report)["changes"] if change["sub"] == sub]


def test_sso_sync_reports_then_repairs_a_hand_edited_shadow(stack, customer):
    """--dry-run names the edited field and changes nothing; a run repairs; the next is a no-op."""
    sign_in_at_shop(WebClient(), stack.shop_a, customer.email, customer.password)
    client_id, _ = stack.client_credentials("SHOP_A")
    stack.run(
        "identity_server", "manage", "oidc_client", "update", client_id,
        "--service-scope", "users:read", "--service-scope", "users:sync",
    )  # fmt: skip
    stack.shell(
        "project_a",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.filter(email={customer.email!r}).update(first_name='Hacked')",
    )
    sub = idp_sub(stack, customer.email)

    dry_runs: list[str] = []

    def listed() -> bool:
        dry_runs.append(sso_sync(stack, "--dry-run", "--full"))
        return bool(changes_for(dry_runs[-1], sub))

    # The reconcile list holds back rows changed in its last 2 s (so that a late commit is not
    # skipped): the sign-in just wrote the person, so the dry run is asked again past that.
    assert wait_for(listed, deadline_seconds=20), dry_runs[-1]
    dry = dry_runs[-1]
    after_dry_run = shadow_first_name(stack, customer.email)
    first = sso_sync(stack, "--full")
    repaired = shadow_first_name(stack, customer.email)
    second = sso_sync(stack)
    check = sso_sync(stack, "--dry-run", "--full")

    [change] = changes_for(dry, sub)
    assert change["fields"] == {"first_name": ["Hacked", customer.given_name]}
    assert after_dry_run == "Hacked"
    assert first.startswith("Repaired ")
    assert repaired == customer.given_name
    assert second.startswith("Repaired 0 shadow(s);")
    assert changes_for(check, sub) == []
