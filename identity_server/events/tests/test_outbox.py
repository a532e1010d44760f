"""What each change writes to the outbox: which clients, which event, which claims."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.services import user_deactivate, user_profile_update
from accounts.services.admin_changes import (
    user_admin_change,
    user_admin_delete,
    user_reactivate,
)
from accounts.services.emails import email_change_confirm, email_change_token_make
from events import constants
from events.models import Delivery, Event
from events.tests.outbox import no_http
from oidc.constants import SCOPE_GROUPS, SCOPE_OPENID
from oidc.models import ClientUser, IdPSession, SessionClient
from oidc.services.clients import client_register
from oidc.tests.flow import SHOP_B_CALLBACK, code_get, pkce_make

pytestmark = pytest.mark.django_db


def set_deliveries() -> list[tuple[str, str, dict]]:
    """Return (event type, client name, payload) of the queued SET deliveries."""
    return [
        (d.event.type, d.application.name, d.payload)
        for d in Delivery.objects.filter(kind=Delivery.Kind.SET)
        .select_related("event", "application")
        .order_by("id")
    ]


def test_a_profile_change_queues_the_claims_the_clients_scopes_release(knows_alice, user):
    """The profile page's change: one SET with the client's claims, nothing sent yet."""
    with no_http():
        user_profile_update(user=user, data={"given_name": "Alicia"})

    [(event_type, client, payload)] = set_deliveries()
    assert (event_type, client) == (constants.EVENT_CLAIMS_CHANGE, "Events Shop")
    claims = payload["claims"]
    assert claims["given_name"] == "Alicia"
    assert claims["name"] == "Alicia Liddell"
    assert claims["email"] == "alice@example.com"
    assert claims["sub"] == str(user.sub)
    assert "groups" not in claims
    assert "phone_number" not in claims
    event = Event.objects.get()
    assert (event.user_sub, event.data) == (user.sub, {"fields": ["given_name"]})


def test_a_change_that_changes_nothing_writes_nothing(knows_alice, user):
    """Saving the same name again queues no event."""
    user_profile_update(user=user, data={"given_name": "Alice"})

    assert not Event.objects.exists()


def test_a_change_no_client_sees_writes_nothing(knows_alice, user):
    """The phone number is not released by the client's scopes: no event for it."""
    user_profile_update(user=user, data={"phone_number": "+33 1 23 45 67 89"})

    assert not Event.objects.exists()


def test_only_clients_that_know_the_user_and_have_an_events_uri_are_told(
    knows_alice, user, receiver, shop_b
):
    """A client without a code for the user, or without an events URI, hears nothing."""
    stranger, _secret = client_register(
        name="Stranger",
        redirect_uris=[SHOP_B_CALLBACK],
        post_logout_redirect_uris=[],
        events_uri=receiver.url,
    )
    no_uri, _secret = shop_b
    ClientUser.objects.create(application=no_uri, user=user, scopes="openid profile")

    user_deactivate(user=user)

    assert set_deliveries() == [(constants.EVENT_ACCOUNT_DISABLED, "Events Shop", {})]
    assert stranger.pk not in Delivery.objects.values_list("application_id", flat=True)


def test_the_outbox_row_rolls_back_with_the_change(knows_alice, user):
    """Written in the same transaction: a failed change leaves no event."""
    with pytest.raises(RuntimeError), transaction.atomic():
        user_profile_update(user=user, data={"given_name": "Alicia"})
        assert Event.objects.count() == 1
        raise RuntimeError("the change fails")

    assert not Event.objects.exists()


def test_deactivation_queues_logouts_and_account_disabled(knows_alice, user, browser, shop_a):
    """Each IdP session's clients get a logout token; each client of the user the event."""
    application, _secret = shop_a
    ClientUser.objects.create(application=application, user=user, scopes="openid")
    SessionClient.objects.create(session=IdPSession.objects.get(user=user), application=application)

    with no_http() as queued:
        user_deactivate(user=user)

        assert queued() == ["http://localhost:8001/oidc/backchannel-logout/"]
    assert set_deliveries() == [(constants.EVENT_ACCOUNT_DISABLED, "Events Shop", {})]


def test_reactivation_queues_account_enabled(knows_alice, user):
    """Reactivated: account-enabled to each client of the user."""
    user.is_active = False
    user.save()

    user_reactivate(user=user)

    assert set_deliveries() == [(constants.EVENT_ACCOUNT_ENABLED, "Events Shop", {})]


def test_deletion_queues_account_purged_before_the_row_goes(knows_alice, user, root):
    """The clients that knew the user are read before the cascade deletes them."""
    sub = user.sub

    user_admin_delete(user=user, actor=root)

    assert set_deliveries() == [(constants.EVENT_ACCOUNT_PURGED, "Events Shop", {})]
    assert Event.objects.get().user_sub == sub
    assert not ClientUser.objects.exists()


def test_a_confirmed_email_change_queues_the_new_verified_address(knows_alice, user):
    """The new address reaches the clients only once the mailed link confirmed it."""
    token = email_change_token_make(user=user, new_email="alice@new.example")
    assert not Event.objects.exists()

    email_change_confirm(token=token)

    [(_type, _client, payload)] = set_deliveries()
    assert payload["claims"]["email"] == "alice@new.example"
    assert payload["claims"]["email_verified"] is True


def test_an_admin_change_of_groups_and_name_is_one_event(knows_alice, user, root):
    """Profile, account fields and groups changed together: one event with every claim."""
    knows_alice.scopes = f"{SCOPE_OPENID} profile {SCOPE_GROUPS}"
    knows_alice.save()
    staff = Group.objects.create(name="shop-staff")

    user_admin_change(user=user, values={"family_name": "Hargreaves"}, groups=[staff], actor=root)

    [(event_type, _client, payload)] = set_deliveries()
    assert event_type == constants.EVENT_CLAIMS_CHANGE
    assert payload["claims"]["groups"] == ["shop-staff"]
    assert payload["claims"]["family_name"] == "Hargreaves"
    assert Event.objects.get().data == {"fields": ["family_name", "groups"]}


def test_an_admin_change_of_staff_flags_alone_writes_nothing(knows_alice, user, root):
    """is_staff is no claim: the clients are not told."""
    user_admin_change(user=user, values={"is_staff": True}, actor=root)

    assert not Event.objects.exists()


def test_an_authorization_code_records_that_the_client_knows_the_user(browser, user, shop_a):
    """Issuing a code upserts ClientUser with the granted scopes."""
    application, _secret = shop_a
    code_get(browser, application.client_id, pkce_make())

    link = ClientUser.objects.get(application=application, user=user)
    assert set(link.scopes.split()) >= {"openid"}
