"""A shop answers with a clear page, never a 500 or a hang, when the identity server is gone."""

import subprocess
from collections.abc import Iterator

import pytest
from support.stack import ENTRYPOINT, free_port
from support.web import WebClient
from wait_ready import wait_ready


@pytest.fixture
def shop_without_idp(stack) -> Iterator[str]:
    """Shop A's code and database, served on another port, its issuer on a closed port."""
    port = free_port()
    url = f"http://localhost:{port}"
    env = stack.env | {
        "SHOP_A_PORT": str(port),
        "SHOP_A_URL": url,
        "SSO_ISSUER": f"http://localhost:{free_port()}/o",
    }
    log = (stack.log_dir / "project_a-without-idp.log").open("w")
    server = subprocess.Popen(
        [str(ENTRYPOINT), "project_a", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        assert wait_ready([url], deadline_seconds=30) == [], "the extra shop server did not start"
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_sign_in_with_the_identity_server_down_shows_a_try_again_page(shop_without_idp):
    """Sign-in reports the service as unavailable (502) with a "Try again" link back to it."""
    client = WebClient()

    response = client.get(f"{shop_without_idp}/oidc/login/?next=/cart/")

    assert response.status_code == 502
    assert "Sign-in service unavailable" in response.text
    retry = client.page().select_one("a.sso-retry")
    assert retry is not None and retry["href"].startswith("/oidc/login/")
    assert "next=%2Fcart%2F" in retry["href"]


def test_the_catalog_still_works_with_the_identity_server_down(shop_without_idp):
    """Browsing does not depend on the identity server: only signing in does."""
    response = WebClient().get(f"{shop_without_idp}/")

    assert response.status_code == 200
    assert "Sign in" in response.text
