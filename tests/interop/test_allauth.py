"""django-allauth's openid_connect provider in a throwaway Django site signs a customer in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import OUTPUT, idp_sub
from support.stack import free_port
from support.web import WebClient

from interop.allauth_site import (
    AllauthSite,
    allauth_callback_url,
    allauth_project_write,
    allauth_site_run,
)
from interop.idp import issuer, on_login_page, register_client


@pytest.fixture(scope="module")
def allauth_site(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllauthSite]:
    """The allauth site, registered at the identity server as a first-party client."""
    port = free_port()
    registered = register_client(
        stack, name="django-allauth RP", redirect_uris=[allauth_callback_url(port)]
    )
    project_dir: Path = tmp_path_factory.mktemp("allauth_site")
    allauth_project_write(
        project_dir,
        issuer=issuer(stack),
        client_id=registered["client_id"],
        client_secret=registered["client_secret"],
    )
    with allauth_site_run(
        project_dir, port=port, log_path=OUTPUT / "logs" / "allauth_site.log"
    ) as site:
        yield site


def test_sign_in_through_allauth_links_the_idp_subject(stack, customer, allauth_site):
    """The customer signs in at the IdP; allauth's SocialAccount uid is the IdP's sub."""
    browser = WebClient()
    browser.get(allauth_site.login_url)
    # allauth asks the visitor to confirm with a POST before leaving for the provider.
    browser.submit(form="form[method=post]")
    assert on_login_page(browser, stack), browser.last.url
    browser.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )

    assert browser.last.url == f"{allauth_site.url}/", browser.last.url
    assert browser.page().select_one("#user").get_text() == customer.email

    accounts = [a for a in allauth_site.social_accounts() if a["email"] == customer.email]
    assert accounts == [
        {"provider": "idp", "uid": idp_sub(stack, customer.email), "email": customer.email}
    ]
