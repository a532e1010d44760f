"""A real browser (Debian's chromium through Playwright) signs in once and uses both shops."""

from collections.abc import Iterator

import pytest
from conftest import OUTPUT
from playwright.sync_api import Browser, Page, expect
from support.browser import chromium

SCREENSHOTS = OUTPUT / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 850})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_sign_in_at_a_open_b_signed_in_then_sign_out(stack, customer, page: Page):
    """Sign in at shop A, shop B greets the user by name with no password, sign out at B."""
    page.goto(f"{stack.shop_a}/")
    shot(page, "01-shop-a-signed-out")
    page.get_by_role("link", name="Sign in").first.click()
    assert page.url.startswith(f"{stack.idp}/account/login/")
    shot(page, "02-idp-sign-in")
    page.fill("input[name=username]", customer.email)
    page.fill("input[name=password]", customer.password)
    page.locator("form[method=post] [type=submit]").first.click()
    expect(page.locator(".user-name")).to_have_text(customer.full_name)
    assert page.url.startswith(stack.shop_a)
    shot(page, "03-shop-a-signed-in")

    page.goto(f"{stack.shop_b}/")
    page.get_by_role("link", name="Sign in").first.click()
    expect(page.locator(".user-name")).to_have_text(customer.full_name)
    assert page.url.startswith(stack.shop_b)
    shot(page, "04-shop-b-signed-in-without-password")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    assert page.url.startswith(stack.shop_b)
    assert page.locator(".user-name").count() == 0
    shot(page, "05-shop-b-signed-out")
