"""A single-page app with oidc-client-ts in Chromium: a public client with PKCE and CORS."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import OUTPUT, idp_sub
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Browser, expect
from support.browser import chromium

from interop.idp import issuer, register_client
from interop.node_rp import node_modules
from interop.sites import file, local_site

SPA_DIR = Path(__file__).resolve().parent / "spa"
JS = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"
SCREENSHOTS = OUTPUT / "screenshots"
# A cross-origin fetch from the page: "status N" when the response is readable, else "blocked".
FETCH_USERINFO = """async ([url, token]) => {
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    return `status ${response.status}`;
  } catch (error) {
    return "blocked";
  }
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.mark.browser
def test_spa_public_client_signs_in_with_pkce_and_reads_userinfo(
    stack, customer, metadata, browser: Browser
):
    """The SPA's origin is registered; it gets an ID token for the user and reads userinfo."""
    config: dict[str, str] = {}
    routes = {
        "/": file(SPA_DIR / "index.html", HTML),
        "/callback": file(SPA_DIR / "index.html", HTML),
        "/app.js": file(SPA_DIR / "app.js", JS),
        "/oidc-client-ts.js": file(
            node_modules() / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.js", JS
        ),
        "/config.json": lambda: ("application/json", json.dumps(config).encode()),
    }
    with local_site(routes) as site:
        registered = register_client(
            stack,
            name="oidc-client-ts SPA",
            redirect_uris=[site.url("/callback")],
            allowed_origins=[site.origin],
            public=True,
        )
        assert registered["client_secret"] is None
        client_id = registered["client_id"]
        config.update(
            authority=issuer(stack), client_id=client_id, redirect_uri=site.url("/callback")
        )
        context = browser.new_context(viewport={"width": 1200, "height": 850})
        try:
            page = context.new_page()
            page.goto(site.url("/"))
            page.locator("#sign-in:enabled").click()
            page.wait_for_url(f"{stack.idp}/account/login/**")
            page.fill("input[name=username]", customer.email)
            page.fill("input[name=password]", customer.password)
            page.locator("form[method=post] [type=submit]").first.click()
            result = page.locator("#result")
            expect(result).to_have_attribute(
                "data-state", re.compile("signed-in|error"), timeout=30_000
            )
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "interop-spa-signed-in.png"), full_page=True)
            data = json.loads(result.text_content())
            assert result.get_attribute("data-state") == "signed-in", data

            sub = idp_sub(stack, customer.email)
            assert data["sub"] == sub
            assert data["userinfo_status"] == 200, data
            assert data["userinfo"]["sub"] == sub
            assert data["userinfo"]["email"] == customer.email
            jwks = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=30).json())
            claims = jwt.decode(data["id_token"], jwks, algorithms=["RS256"]).claims
            assert claims["sub"] == sub
            assert claims["aud"] in (client_id, [client_id])
            assert claims["iss"] == issuer(stack)

            # The same app at an origin nobody registered: the browser may not read userinfo,
            # until the developer adds that origin to the client.
            other_origin = f"http://127.0.0.1:{site.port}"
            page.goto(f"{other_origin}/")
            fetch_args = [metadata["userinfo_endpoint"], data["access_token"]]
            assert page.evaluate(FETCH_USERINFO, fetch_args) == "blocked"
            stack.run(
                "identity_server",
                "manage",
                "oidc_client",
                "update",
                client_id,
                "--allowed-origin",
                site.origin,
                "--allowed-origin",
                other_origin,
            )
            assert page.evaluate(FETCH_USERINFO, fetch_args) == "status 200"
        finally:
            context.close()
