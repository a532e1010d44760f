"""A small web client for the end-to-end tests: a requests session that fills in real forms."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from bs4 import BeautifulSoup


class WebClient:
    """One browser-like visitor: its own cookies, following redirects like a browser would."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.last: requests.Response | None = None

    def get(self, url: str, **kwargs) -> requests.Response:
        self.last = self.session.get(url, timeout=30, **kwargs)
        return self.last

    def post(self, url: str, data: dict | None = None, **kwargs) -> requests.Response:
        self.last = self.session.post(url, data=data, timeout=30, **kwargs)
        return self.last

    def page(self, response: requests.Response | None = None) -> BeautifulSoup:
        return BeautifulSoup((response or self.last).text, "html.parser")

    def submit(
        self,
        data: dict | None = None,
        *,
        form: str = "form",
        untick: tuple[str, ...] = (),
        response: requests.Response | None = None,
        files: dict | None = None,
    ) -> requests.Response:
        """Submit the form matched by the CSS selector `form` as a browser would.

        The form's current values (inputs, ticked boxes, selected options, text areas) are sent,
        with `data` typed over them and the boxes named in `untick` cleared.
        """
        response = response or self.last
        element = self.page(response).select_one(form)
        assert element is not None, f"no {form!r} on {response.url}:\n{response.text[:2000]}"
        fields: dict[str, str | list[str]] = {}
        for field in element.select("input[name]"):
            kind = field.get("type", "text")
            if kind in ("checkbox", "radio"):
                if field.has_attr("checked") and field["name"] not in untick:
                    fields[field["name"]] = field.get("value", "on")
            elif kind not in ("file", "submit", "button"):
                fields[field["name"]] = field.get("value", "")
        for area in element.select("textarea[name]"):
            fields[area["name"]] = area.get_text()
        for select in element.select("select[name]"):
            chosen = [option.get("value", "") for option in select.select("option[selected]")]
            if chosen:
                fields[select["name"]] = chosen if select.has_attr("multiple") else chosen[0]
        fields.update(data or {})
        action = urljoin(response.url, element.get("action") or response.url)
        if (element.get("method") or "get").lower() == "post":
            return self.post(action, data=fields, files=files)
        return self.get(action, params=fields)

    def cookie(self, name: str) -> str | None:
        return self.session.cookies.get(name)


def query(url: str) -> dict[str, str]:
    """Return the single-valued query parameters of a URL."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def sign_in_at_shop(
    client: WebClient, shop_url: str, email: str, password: str
) -> requests.Response:
    """Click "Sign in" at a shop, sign in at the identity server, return the shop page."""
    client.get(f"{shop_url}/oidc/login/?next=/")
    if "/account/login/" in client.last.url:
        client.submit({"username": email, "password": password}, form="form[method=post]")
    return client.last


def stop_at_shop_callback(client: WebClient, shop_url: str) -> str:
    """Start signing in at a shop (signed in at the IdP); return the callback URL, unvisited."""
    response = client.get(f"{shop_url}/oidc/login/?next=/", allow_redirects=False)
    while response.is_redirect and "/oidc/callback/" not in response.headers["Location"]:
        response = client.get(
            urljoin(response.url, response.headers["Location"]), allow_redirects=False
        )
    assert response.is_redirect, f"expected a redirect to the callback from {response.url}"
    return response.headers["Location"]


def sign_in_at_idp(client: WebClient, idp_url: str, email: str, password: str) -> None:
    """Sign in directly at the identity server."""
    client.get(f"{idp_url}/account/login/")
    client.submit({"username": email, "password": password}, form="form[method=post]")
