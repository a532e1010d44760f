"""The identity admin's user pages, driven as a staff member would (see two_step.py for the
staff member's sign-in)."""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from support.web import WebClient


def user_change_page(admin: WebClient, stack, email: str) -> requests.Response:
    """Find a user in the admin by email and open their change page."""
    results = admin.get(f"{stack.idp}/admin/accounts/user/", params={"q": email})
    row = admin.page().select_one("#result_list tbody tr th a")
    assert row is not None and email in results.text
    return admin.get(urljoin(results.url, row["href"]))


def user_deactivate(admin: WebClient, stack, email: str) -> requests.Response:
    """Untick "Active" on the user's change page and save; return the saved page."""
    user_change_page(admin, stack, email)
    saved = admin.submit(form="form#user_form", untick=("is_active",))
    assert "was changed successfully" in saved.text, saved.text[:3000]
    return saved
