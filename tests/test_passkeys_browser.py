"""Passkeys in a real browser: Chromium's virtual authenticator through the DevTools protocol.

The authenticator (CTAP2, built in, resident keys, user verification that always succeeds)
stands in for a phone's or laptop's; everything else is real: the identity server's pages,
static/js/passkeys.js, py_webauthn's checks and the shops.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import OUTPUT, Customer
from playwright.sync_api import Browser, CDPSession, Page, expect
from support.browser import chromium
from support.stack import Stack

SCREENSHOTS = OUTPUT / "screenshots"


@dataclass
class Authenticator:
    """A virtual authenticator attached to one page."""

    cdp: CDPSession
    id: str

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 850})
    yield context.new_page()
    context.close()


@pytest.fixture
def authenticator(page: Page) -> Authenticator:
    """Chromium's virtual authenticator (WebAuthn CDP domain) on the test's page."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return Authenticator(cdp=cdp, id=added["authenticatorId"])


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def password_sign_in(page: Page, customer: Customer) -> None:
    page.fill("input[name=username]", customer.email)
    page.fill("input[name=password]", customer.password)
    page.locator("form[method=post] [type=submit]").first.click()


def latest_amr(stack: Stack, email: str) -> list[str]:
    """Return the amr of the user's newest open IdP session."""
    out = stack.shell(
        "identity_server",
        "import json; from oidc.models import IdPSession; "
        f"s = IdPSession.objects.filter(user__email={email!r}, ended_at__isnull=True)"
        ".order_by('-auth_time').first(); print(json.dumps(s.amr if s else None))",
    )
    return json.loads(out.splitlines()[-1])


def passkey_register(page: Page, stack: Stack, name: str) -> None:
    """Add a passkey on the account page (the user is signed in)."""
    page.goto(f"{stack.idp}/account/passkeys/")
    expect(page.locator(".passkeys-empty")).to_be_visible()
    page.fill("[data-passkey-name]", name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".passkey-name")).to_have_text(name)
    expect(page.locator(".message-success")).to_contain_text("added")


@pytest.mark.browser
def test_register_a_passkey_and_sign_in_with_it_alone(
    stack: Stack, customer: Customer, page: Page, authenticator: Authenticator
):
    """A passkey added on the account page signs in at a shop with no password: amr hwk+mfa."""
    page.goto(f"{stack.idp}/account/login/")
    password_sign_in(page, customer)
    page.wait_for_url(f"{stack.idp}/account/**")
    passkey_register(page, stack, "Test laptop")
    shot(page, "passkeys-01-registered")
    [credential] = authenticator.credentials()
    assert credential["isResidentCredential"] is True

    page.goto(f"{stack.idp}/account/logout/")
    page.locator("form[method=post] [type=submit]").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    page.goto(f"{stack.shop_a}/")
    page.get_by_role("link", name="Sign in").first.click()
    assert page.url.startswith(f"{stack.idp}/account/login/")
    shot(page, "passkeys-02-sign-in-page")
    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator(".user-name")).to_have_text(customer.full_name)
    assert page.url.startswith(stack.shop_a)
    shot(page, "passkeys-03-shop-a-signed-in-with-passkey")
    amr = latest_amr(stack, customer.email)
    assert "hwk" in amr
    assert "mfa" in amr
    assert "pwd" not in amr
    assert authenticator.credentials()[0]["signCount"] >= 2


@pytest.mark.browser
def test_a_removed_passkey_no_longer_signs_in(
    stack: Stack, customer: Customer, page: Page, authenticator: Authenticator
):
    """After removing the passkey, the browser's answer is refused with a message on the page."""
    page.goto(f"{stack.idp}/account/login/")
    password_sign_in(page, customer)
    page.wait_for_url(f"{stack.idp}/account/**")
    passkey_register(page, stack, "Old phone")
    page.get_by_role("button", name="Remove Old phone").click()
    expect(page.locator(".passkeys-empty")).to_be_visible()

    page.goto(f"{stack.idp}/account/logout/")
    page.locator("form[method=post] [type=submit]").click()
    page.goto(f"{stack.idp}/account/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator("[data-passkey-error]")).to_contain_text("not registered")
    assert page.url.startswith(f"{stack.idp}/account/login/")
    shot(page, "passkeys-04-removed-passkey-refused")


@pytest.mark.browser
def test_a_passkey_is_the_second_step_after_the_password(
    stack: Stack, customer: Customer, page: Page, authenticator: Authenticator
):
    """With a passkey, the password leads to a second step that the passkey completes."""
    page.goto(f"{stack.idp}/account/login/")
    password_sign_in(page, customer)
    page.wait_for_url(f"{stack.idp}/account/**")
    passkey_register(page, stack, "Security key")
    page.goto(f"{stack.idp}/account/logout/")
    page.locator("form[method=post] [type=submit]").click()

    page.goto(f"{stack.shop_b}/")
    page.get_by_role("link", name="Sign in").first.click()
    password_sign_in(page, customer)
    page.wait_for_url(f"{stack.idp}/account/login/verify/**")
    assert page.locator(".user-name").count() == 0
    shot(page, "passkeys-05-second-step")
    page.get_by_role("button", name="Use a passkey").click()

    expect(page.locator(".user-name")).to_have_text(customer.full_name)
    assert page.url.startswith(stack.shop_b)
    assert sorted(latest_amr(stack, customer.email)) == ["hwk", "mfa", "pwd"]
