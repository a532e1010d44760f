"""The profile lives at the identity server; shops show it at the next sign-in."""

import io

from PIL import Image
from support.web import sign_in_at_shop


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_manage_my_account_leads_to_the_identity_server_profile(stack, client, customer):
    """The shop's "Manage my account" link opens the IdP's profile page, already signed in."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    link = client.page().find("a", string=lambda text: text and "Manage my account" in text)
    assert link is not None

    profile = client.get(link["href"])

    assert profile.url.startswith(f"{stack.idp}/account/profile/")
    assert client.page().select_one("input[name=given_name]")["value"] == customer.given_name


def test_profile_edit_shows_at_the_shop_after_the_next_sign_in(stack, client, customer):
    """A new name and avatar saved at the IdP appear in the shop's header at the next sign-in."""
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)
    client.get(f"{stack.idp}/account/profile/")

    saved = client.submit(
        {"given_name": "Rear Admiral", "family_name": "Hopper", "phone_number": "+15550100"},
        form="form[enctype='multipart/form-data']",
        files={"avatar": ("me.png", png_bytes(), "image/png")},
    )
    assert "Profile saved" in saved.text

    client.get(f"{stack.shop_b}/")
    client.submit(form="form[action*='/oidc/logout/']")
    sign_in_at_shop(client, stack.shop_b, customer.email, customer.password)

    header = client.page()
    assert header.select_one(".user-name").get_text(strip=True) == "Rear Admiral Hopper"
    avatar = header.select_one("img.avatar")
    assert avatar is not None and avatar["src"].startswith(f"{stack.idp}/media/")
    assert client.get(avatar["src"]).headers["Content-Type"] == "image/png"
