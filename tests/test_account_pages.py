"""The account pages at the identity server: sessions and concurrent profile edits."""

from support.shops import signed_out_of
from support.stack import wait_for
from support.web import WebClient, sign_in_at_idp, sign_in_at_shop


def test_sign_out_everywhere_from_the_sessions_page_ends_the_shop_session(stack, client, customer):
    """A second device sees both sessions; "Sign out everywhere" ends the first one's shop."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    assert client.page().select_one(".user-name") is not None
    other_device = WebClient()
    sign_in_at_idp(other_device, stack.idp, customer.email, customer.password)

    other_device.get(f"{stack.idp}/account/sessions/")

    rows = other_device.page().select("li.session")
    assert len(rows) == 2
    current = [row for row in rows if "session-current" in row["class"]]
    assert len(current) == 1 and "this device" in current[0].get_text()
    shop_row = next(row for row in rows if "session-current" not in row["class"])
    assert "Shop A" in shop_row.select_one(".session-shops").get_text()

    signed_out = other_device.submit(form="form[action$='/account/sessions/end-all/']")

    assert signed_out.url.startswith(f"{stack.idp}/account/login/")
    assert "You are signed out everywhere." in signed_out.text
    assert wait_for(signed_out_of(client, stack.shop_a)), "shop A's session is over"
    profile = client.get(f"{stack.idp}/account/profile/")
    assert profile.url.startswith(f"{stack.idp}/account/login/"), "the IdP session is over"
    profile = other_device.get(f"{stack.idp}/account/profile/")
    assert profile.url.startswith(f"{stack.idp}/account/login/"), "this device is signed out"


def test_sign_out_everywhere_else_keeps_this_device(stack, client, customer):
    """Signing the other sessions out leaves this one, and ends the shop session elsewhere."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    other_device = WebClient()
    sign_in_at_idp(other_device, stack.idp, customer.email, customer.password)
    other_device.get(f"{stack.idp}/account/sessions/")

    done = other_device.submit(form="form[action$='/account/sessions/end-others/']")

    assert done.url == f"{stack.idp}/account/sessions/"
    assert len(other_device.page().select("li.session")) == 1
    assert wait_for(signed_out_of(client, stack.shop_a))


def test_two_concurrent_profile_edits_of_different_fields_both_survive(stack, client, customer):
    """Two tabs opened together each save one field: both changes are kept."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    form = "form[enctype='multipart/form-data']"
    tab_1 = client.get(f"{stack.idp}/account/profile/")
    tab_2 = client.get(f"{stack.idp}/account/profile/")

    client.submit({"given_name": "Amazing"}, form=form, response=tab_1)
    saved = client.submit({"nickname": "Amazing Grace"}, form=form, response=tab_2)

    assert "Profile saved" in saved.text
    page = client.page()
    assert page.select_one("input[name=given_name]")["value"] == "Amazing"
    assert page.select_one("input[name=family_name]")["value"] == customer.family_name
    assert page.select_one("input[name=nickname]")["value"] == "Amazing Grace"


def test_a_stale_edit_of_the_same_field_is_refused_for_review(stack, client, customer):
    """The second tab's change to a field the first tab just changed is refused, not lost."""
    sign_in_at_idp(client, stack.idp, customer.email, customer.password)
    form = "form[enctype='multipart/form-data']"
    tab_1 = client.get(f"{stack.idp}/account/profile/")
    tab_2 = client.get(f"{stack.idp}/account/profile/")
    client.submit({"family_name": "Murray"}, form=form, response=tab_1)

    refused = client.submit({"family_name": "Hopper-Murray"}, form=form, response=tab_2)

    assert refused.status_code == 409
    assert "changed in another window since you opened this page" in refused.text
    assert "Now “Murray”" in refused.text
    client.get(f"{stack.idp}/account/profile/")
    assert client.page().select_one("input[name=family_name]")["value"] == "Murray"

    again = client.submit({"family_name": "Hopper-Murray"}, form=form, response=refused)

    assert "Profile saved" in again.text
    assert client.page().select_one("input[name=family_name]")["value"] == "Hopper-Murray"


def test_the_sweeper_ends_an_abandoned_session_and_its_shop_session(stack, client, customer):
    """A session idle past the timeout whose browser never came back: the sweeper ends it."""
    sign_in_at_shop(client, stack.shop_a, customer.email, customer.password)
    stack.shell(
        "identity_server",
        "from datetime import timedelta; from django.utils import timezone; "
        "from oidc.models import IdPSession; "
        f"IdPSession.objects.filter(user__email={customer.email!r}, ended_at__isnull=True)"
        ".update(last_seen=timezone.now() - timedelta(days=1))",
    )

    swept = stack.run("identity_server", "manage", "end_expired_sessions")
    again = stack.run("identity_server", "manage", "end_expired_sessions")

    assert swept.stdout.strip() == "Ended 1 expired session."
    assert again.stdout.strip() == "Ended 0 expired sessions."
    assert wait_for(signed_out_of(client, stack.shop_a)), "shop A was told"
    profile = client.get(f"{stack.idp}/account/profile/")
    assert profile.url.startswith(f"{stack.idp}/account/login/")
