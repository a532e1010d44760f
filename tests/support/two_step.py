"""Two-step sign-in over the live stack: an authenticator app in Python, enrolled on the pages."""

from __future__ import annotations

import base64
import time
from urllib.parse import urljoin

from django_otp.oath import totp

from support.oauth import id_token_verified, shop_a_tokens
from support.web import WebClient

TOTP_STEP_SECONDS = 30


class AuthenticatorApp:
    """The phone app: RFC 6238 codes from the secret the set-up page shows.

    The server refuses a code at or before the step of the last one it took, and takes one
    step ahead: ``code()`` gives the next step's code when this step's is spent, so two
    sign-ins fit in one 30-second step without waiting.
    """

    def __init__(self, secret: str) -> None:
        compact = "".join(secret.split())
        self.key = base64.b32decode(compact + "=" * (-len(compact) % 8))
        self.last_step = -1

    def code(self) -> str:
        """Return a code the server has not seen yet."""
        now_step = int(time.time()) // TOTP_STEP_SECONDS
        step = max(now_step, self.last_step + 1)
        assert step <= now_step + 1, "both codes of this 30-second window are spent"
        self.last_step = step
        return f"{totp(self.key, step=TOTP_STEP_SECONDS, drift=step - now_step):06d}"


def totp_enrol(client: WebClient, idp: str) -> tuple[AuthenticatorApp, list[str]]:
    """Set up an authenticator app on the two-step page; return it and the recovery codes."""
    client.get(f"{idp}/account/two-step/")
    set_up = client.page().find("a", string="Set up")
    assert set_up is not None, client.last.text[:2000]
    client.get(urljoin(client.last.url, set_up["href"]))
    page = client.page()
    assert page.select_one(".totp-qr svg") is not None, "the QR code is inline SVG"
    app = AuthenticatorApp(page.select_one(".totp-secret").get_text())
    client.submit({"code": app.code()}, form="form[method=post]")
    codes = [code.get_text() for code in client.page().select(".recovery-codes code")]
    assert len(codes) == 10, client.last.text[:2000]
    return app, codes


def second_step(client: WebClient, code: str):
    """Answer the second step of a sign-in with a code; return the response."""
    assert "/account/login/verify/" in client.last.url, client.last.url
    return client.submit({"code": code}, form="form[method=post]")


def shop_a_id_token(stack, client: WebClient) -> dict:
    """Act as shop A's client for this signed-in browser; return its verified ID token's claims."""
    return id_token_verified(stack, shop_a_tokens(stack, client)["id_token"])


def two_step_sign_in(
    client: WebClient, idp: str, email: str, password: str, app: AuthenticatorApp, next_url: str
):
    """Sign in at the identity server with the password and an app code; return the last page."""
    client.get(f"{idp}/account/login/", params={"next": next_url})
    client.submit({"username": email, "password": password}, form="form[method=post]")
    return second_step(client, app.code())


def staff_admin_client(stack, staff) -> WebClient:
    """Return a browser in the identity admin as ``staff`` (made a superuser here).

    The admin needs a two-factor sign-in: the staff member sets up an authenticator app on the
    pages, then signs in again with it.
    """
    stack.shell(
        "identity_server",
        "from accounts.models import User; "
        f"User.objects.filter(email={staff.email!r}).update(is_staff=True, is_superuser=True)",
    )
    client = WebClient()
    client.get(f"{stack.idp}/account/login/")
    client.submit({"username": staff.email, "password": staff.password}, form="form[method=post]")
    app, _codes = totp_enrol(client, stack.idp)
    two_step_sign_in(client, stack.idp, staff.email, staff.password, app, "/admin/")
    assert client.last.url == f"{stack.idp}/admin/", client.last.text[:500]
    return client
