"""What `make bench` measures: one operation per scenario, and what it needs prepared.

A scenario's `prepare(n)` builds n states before a round (browsers signed in where the
operation needs it), outside the measured window; `operation(state)` is the measured step and
raises when the answer is wrong, which counts as an error.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from support.oauth import (
    refresh_request,
    shop_a_code_for,
    signed_in_at_idp,
    token_request,
)
from support.stack import Stack
from support.web import WebClient, sign_in_at_idp, sign_in_at_shop, stop_at_shop_callback

from bench.data import email_of

PASSWORD = "bench-password-0123456789"  # noqa: S105 (the bulk users' password, bench only)
SINGLE_REQUEST_WEIGHT = 5
LOGOUT_FORM = "form[action*='/oidc/logout/']"


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    prepare: Callable[[int], list[Any]]
    operation: Callable[[Any], None]
    # Single requests run `weight` times --ops per round: enough clock ticks of CPU to count.
    weight: int = 1


def expect(condition: bool, message: str) -> None:
    """Raise when an answer is not the one the scenario expects (an error, not a crash)."""
    if not condition:
        raise AssertionError(message)


class Users:
    """Hands out bulk-loaded users that no scenario has used yet (a first sign-in stays first)."""

    def __init__(self, first: int = 1) -> None:
        self._next = itertools.count(first)
        self._lock = threading.Lock()

    def fresh(self) -> str:
        with self._lock:
            return email_of(next(self._next))


class Scenarios:
    """The scenarios over one running stack; `service` is a client-credentials client."""

    def __init__(self, stack: Stack, users: Users, service: tuple[str, str]) -> None:
        self.stack = stack
        self.users = users
        self.service = service
        self._local = threading.local()

    def _session(self) -> requests.Session:
        # One keep-alive connection per driver thread, as sso_client holds one per shop thread.
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    @classmethod
    def names(cls) -> list[str]:
        """Return the scenario names, before any stack runs (to check --only early)."""
        return [scenario.name for scenario in cls(None, Users(), ("", "")).all()]  # type: ignore[arg-type]

    def all(self) -> list[Scenario]:
        """Return the scenarios in the order of the table."""
        return [
            Scenario(
                "password sign-in at the IdP",
                "GET the form, POST email and password, follow to the profile page",
                lambda n: [(WebClient(), self.users.fresh()) for _ in range(n)],
                self.password_sign_in,
            ),
            Scenario(
                "first sign-in at a shop",
                "shop A login, IdP form and password, callback (new shadow user), shop page",
                lambda n: [(WebClient(), self.users.fresh()) for _ in range(n)],
                self.first_sign_in,
            ),
            Scenario(
                "silent sign-in at the second shop",
                "signed in at shop A: shop B login, authorize without a prompt, callback, "
                "shop B's catalog page",
                lambda n: [self.signed_in_at_shop_a() for _ in range(n)],
                self.silent_sign_in,
            ),
            Scenario(
                "silent sign-in, to the callback's redirect",
                "the same without the catalog page: shop B login, authorize, callback (its "
                "redirect not followed)",
                lambda n: [self.signed_in_at_shop_a() for _ in range(n)],
                self.silent_sign_in_callback,
            ),
            Scenario(
                "code exchange",
                "POST /o/token/ authorization_code with PKCE, shop A's credentials, kept-alive",
                self._codes,
                self.code_exchange,
                weight=SINGLE_REQUEST_WEIGHT,
            ),
            Scenario(
                "refresh grant",
                "POST /o/token/ refresh_token (rotated), shop A's credentials, kept-alive",
                self._refresh_tokens,
                self.refresh,
                weight=SINGLE_REQUEST_WEIGHT,
            ),
            Scenario(
                "client credentials",
                "POST /o/token/ client_credentials, scope users:read",
                lambda n: [None] * n,
                self.client_credentials,
                weight=SINGLE_REQUEST_WEIGHT,
            ),
            Scenario(
                "userinfo",
                "GET /o/userinfo/ with a bearer access token",
                self._access_tokens,
                self.userinfo,
                weight=SINGLE_REQUEST_WEIGHT,
            ),
            Scenario(
                "session re-check",
                "POST /o/introspect/ a refresh token, shop A's credentials (sso_client's re-check)",
                self._refresh_token_repeated,
                self.session_recheck,
                weight=SINGLE_REQUEST_WEIGHT,
            ),
            Scenario(
                "back-channel logout fan-out",
                "sign out at shop A of a session also at shop B: IdP logout, both shops told",
                self._signed_in_at_both,
                self.logout,
            ),
        ]

    def reference(self, state: object = None) -> None:
        """GET the IdP's /readyz: a Django view that runs SELECT 1 and a cache set and get."""
        response = self._session().get(f"{self.stack.idp}/readyz", timeout=30)
        expect(response.status_code == 200, f"/readyz answered {response.status_code}")

    # Operations.

    def password_sign_in(self, state: tuple[WebClient, str]) -> None:
        client, email = state
        sign_in_at_idp(client, self.stack.idp, email, PASSWORD)
        expect(
            client.last.status_code == 200 and "/account/login/" not in client.last.url,
            f"sign-in ended at {client.last.url} ({client.last.status_code})",
        )

    def first_sign_in(self, state: tuple[WebClient, str]) -> None:
        client, email = state
        self._at_shop(sign_in_at_shop(client, self.stack.shop_a, email, PASSWORD), "shop_a")

    def silent_sign_in(self, client: WebClient) -> None:
        response = client.get(f"{self.stack.shop_b}/oidc/login/?next=/")
        expect(
            not any("/account/login/" in step.url for step in response.history),
            "the IdP asked for a password",
        )
        self._at_shop(response, "shop_b")

    def silent_sign_in_callback(self, client: WebClient) -> None:
        callback = stop_at_shop_callback(client, self.stack.shop_b)
        response = client.get(callback, allow_redirects=False)
        expect(
            response.status_code == 302 and response.headers["Location"] == "/",
            f"the callback answered {response.status_code} to {response.headers.get('Location')}",
        )
        expect(bool(client.cookie("shop_b_sessionid")), "no session at shop B")

    def code_exchange(self, state: tuple[str, str]) -> None:
        response = token_request(self.stack, *state, http=self._session())
        expect(response.status_code == 200, f"token endpoint: {response.status_code}")

    def refresh(self, refresh_token: str) -> None:
        response = refresh_request(self.stack, refresh_token, http=self._session())
        expect(response.status_code == 200, f"refresh: {response.status_code}")

    def client_credentials(self, state: object) -> None:
        response = self._session().post(
            f"{self.stack.idp}/o/token/",
            data={"grant_type": "client_credentials", "scope": "users:read"},
            auth=self.service,
            timeout=30,
        )
        expect(response.status_code == 200, f"client credentials: {response.status_code}")

    def userinfo(self, access_token: str) -> None:
        response = self._session().get(
            f"{self.stack.idp}/o/userinfo/",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )
        expect(response.status_code == 200, f"userinfo: {response.status_code}")

    def session_recheck(self, refresh_token: str) -> None:
        # As sso_client.recheck.refresh_token_active asks: client_secret_basic, a type hint.
        response = self._session().post(
            f"{self.stack.idp}/o/introspect/",
            data={"token": refresh_token, "token_type_hint": "refresh_token"},
            auth=self.stack.client_credentials("SHOP_A"),
            headers={"Accept": "application/json"},
            timeout=30,
        )
        expect(
            response.status_code == 200 and response.json().get("active") is True,
            f"introspection: {response.status_code} {response.text[:80]}",
        )

    def logout(self, client: WebClient) -> None:
        response = client.submit(form=LOGOUT_FORM)
        expect(response.url == f"{self.stack.shop_a}/", f"sign-out ended at {response.url}")

    def signed_out_at_shop_b(self, client: WebClient) -> bool:
        """Return whether the back-channel logout ended this browser's session at shop B."""
        return client.get(f"{self.stack.shop_b}/").status_code == 200 and (
            client.page().select_one(".user-name") is None
        )

    # Preparation (outside the measured window).

    def _at_shop(self, response: requests.Response, project: str) -> None:
        shop = self.stack.shop_a if project == "shop_a" else self.stack.shop_b
        expect(
            response.status_code == 200 and response.url.startswith(shop),
            f"sign-in ended at {response.url} ({response.status_code})",
        )
        expect(
            response.history and "/oidc/callback/" in response.history[-1].url,
            "no callback",
        )

    def signed_in_at_shop_a(self) -> WebClient:
        """Return a new browser signed in at shop A as a fresh user (first sign-in)."""
        client = WebClient()
        self.first_sign_in((client, self.users.fresh()))
        return client

    def _signed_in_at_both(self, n: int) -> list[WebClient]:
        clients = []
        for _ in range(n):
            client = self.signed_in_at_shop_a()
            self.silent_sign_in(client)
            client.get(f"{self.stack.shop_a}/")
            clients.append(client)
        return clients

    def _codes(self, n: int) -> list[tuple[str, str]]:
        # A few browsers, each asking for several codes, as returning customers would.
        browsers = [signed_in_at_idp(self.stack, _Customer(self.users.fresh())) for _ in range(4)]
        return [shop_a_code_for(browsers[i % len(browsers)], self.stack) for i in range(n)]

    def _refresh_tokens(self, n: int) -> list[str]:
        return [token_request(self.stack, *code).json()["refresh_token"] for code in self._codes(n)]

    def _refresh_token_repeated(self, n: int) -> list[str]:
        # Introspection changes nothing: one session's token, asked about again and again.
        return self._refresh_tokens(1) * n

    def _access_tokens(self, n: int) -> list[str]:
        token = token_request(self.stack, *self._codes(1)[0]).json()["access_token"]
        return [token] * n

    def flow(self, client: WebClient) -> None:
        """One whole sign-in at shop A for a browser already signed in at the IdP (memory runs)."""
        jar = client.session.cookies
        for cookie in [cookie for cookie in jar if cookie.name == "shop_a_sessionid"]:
            jar.clear(cookie.domain, cookie.path, cookie.name)
        self._at_shop(client.get(f"{self.stack.shop_a}/oidc/login/?next=/"), "shop_a")


@dataclass(frozen=True)
class _Customer:
    email: str
    password: str = PASSWORD
