"""Two-step sign-in over the live servers: a real TOTP app, recovery codes, the admin's door."""

import threading
from concurrent.futures import ThreadPoolExecutor

from support.two_step import second_step, shop_a_id_token, totp_enrol, two_step_sign_in
from support.web import WebClient, sign_in_at_idp, sign_in_at_shop


def visible_text(client: WebClient) -> str:
    return " ".join(client.page().get_text(" ").split())


def test_totp_signs_in_at_a_shop_once_per_code_and_a_recovery_code_works_once(stack, customer):
    """Enrol on the pages; a code signs in at shop A (amr otp, mfa); replays are refused."""
    owner = WebClient()
    sign_in_at_idp(owner, stack.idp, customer.email, customer.password)
    app, recovery_codes = totp_enrol(owner, stack.idp)

    shopper = WebClient()
    sign_in_at_shop(shopper, stack.shop_a, customer.email, customer.password)
    assert shopper.last.url.startswith(f"{stack.idp}/account/login/verify/")
    assert shopper.page().select_one(".user-name") is None
    code = app.code()
    second_step(shopper, code)
    assert shopper.last.url.startswith(stack.shop_a)
    assert shopper.page().select_one(".user-name").get_text(strip=True) == customer.full_name
    claims = shop_a_id_token(stack, shopper)
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])
    assert claims["acr"] == "urn:sso:acr:mfa"

    replayer = WebClient()
    sign_in_at_shop(replayer, stack.shop_a, customer.email, customer.password)
    refused = second_step(replayer, code)
    assert refused.status_code == 400
    assert "not right, or was already used" in visible_text(replayer)
    assert replayer.get(f"{stack.shop_a}/").url.startswith(stack.shop_a)
    assert replayer.page().select_one(".user-name") is None, "the replayed code signed nobody in"

    rescued = WebClient()
    sign_in_at_shop(rescued, stack.shop_a, customer.email, customer.password)
    second_step(rescued, recovery_codes[0])
    assert rescued.last.url.startswith(stack.shop_a)
    assert rescued.page().select_one(".user-name") is not None
    rescued.get(f"{stack.idp}/account/two-step/")
    assert "9 of 10 unused" in visible_text(rescued)

    again = WebClient()
    sign_in_at_shop(again, stack.shop_a, customer.email, customer.password)
    assert second_step(again, recovery_codes[0]).status_code == 400
    assert again.get(f"{stack.shop_a}/").url.startswith(stack.shop_a)
    assert again.page().select_one(".user-name") is None


RACERS = 16


def race_one_code(stack, customer, code: str) -> list[str]:
    """Bring RACERS browsers to the second step, post ``code`` from all at once; return URLs."""
    browsers = [WebClient() for _ in range(RACERS)]
    for browser in browsers:
        sign_in_at_idp(browser, stack.idp, customer.email, customer.password)
    start = threading.Barrier(RACERS)

    def post(browser: WebClient) -> str:
        start.wait()
        return second_step(browser, code).url

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(post, browsers))


def test_one_totp_code_posted_by_several_browsers_at_once_signs_in_one(stack, customer):
    """The replay check holds under a race: one browser is signed in, the others refused."""
    owner = WebClient()
    sign_in_at_idp(owner, stack.idp, customer.email, customer.password)
    app, _codes = totp_enrol(owner, stack.idp)

    urls = race_one_code(stack, customer, app.code())

    signed_in = [url for url in urls if url == f"{stack.idp}/account/profile/"]
    assert len(signed_in) == 1, urls


def test_one_recovery_code_posted_by_several_browsers_at_once_signs_in_one(stack, customer):
    """A recovery code is spent once, even by requests at the same moment."""
    owner = WebClient()
    sign_in_at_idp(owner, stack.idp, customer.email, customer.password)
    _app, codes = totp_enrol(owner, stack.idp)

    urls = race_one_code(stack, customer, codes[0])

    signed_in = [url for url in urls if url == f"{stack.idp}/account/profile/"]
    assert len(signed_in) == 1, urls


def test_the_admin_refuses_staff_without_mfa_and_opens_after_a_two_step_sign_in(
    stack, make_customer
):
    """A staff password alone gets a 403 explaining what to do; with a TOTP code, the admin."""
    staff = make_customer("Ada", "Admin")
    stack.shell(
        "identity_server",
        "from accounts.models import User; "
        f"User.objects.filter(email={staff.email!r}).update(is_staff=True, is_superuser=True)",
    )
    client = WebClient()
    sign_in_at_idp(client, stack.idp, staff.email, staff.password)

    refused = client.get(f"{stack.idp}/admin/")
    assert refused.status_code == 403
    assert "Two-step sign-in required" in visible_text(client)
    assert client.page().find("a", href="/account/two-step/") is not None

    bypass = WebClient()
    bypass.get(f"{stack.idp}/admin/login/?next=/admin/")
    assert bypass.last.url == f"{stack.idp}/account/login/?next=/admin/"
    token = bypass.page().select_one("input[name=csrfmiddlewaretoken]")["value"]
    posted = bypass.post(
        f"{stack.idp}/admin/login/?next=/admin/",
        {"username": staff.email, "password": staff.password, "csrfmiddlewaretoken": token},
    )
    assert posted.url == f"{stack.idp}/account/login/?next=/admin/", "no password checked there"
    assert bypass.get(f"{stack.idp}/admin/").url.startswith(f"{stack.idp}/account/login/")

    app, _codes = totp_enrol(client, stack.idp)
    client.get(f"{stack.idp}/admin/")
    again = client.page().find("a", string="Sign in again")
    assert again is not None, client.last.text[:2000]
    assert again["href"] == "/account/login/?next=%2Fadmin%2F"
    two_step_sign_in(client, stack.idp, staff.email, staff.password, app, "/admin/")
    assert client.last.url == f"{stack.idp}/admin/"
    assert client.last.status_code == 200
    assert client.page().select_one("#site-name") is not None
