"""Shadow users: found by (issuer, sub), created or updated from the claims."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from sso_client.backends import SSOBackend
from sso_client.models import IdentityLink
from sso_client.provisioning import shadow_user_sync
from tests.conftest import ISSUER, alice_claims

User = get_user_model()
pytestmark = pytest.mark.django_db


def sign_in(claims: dict) -> object:
    """Run the backend's hooks as mozilla's get_or_create_user does."""
    backend = SSOBackend()
    assert backend.verify_claims(claims)
    users = backend.filter_users_by_claims(claims)
    assert len(users) <= 1
    return backend.update_user(users[0], claims) if users else backend.create_user(claims)


def test_first_sign_in_creates_shadow_from_claims():
    """The first sign-in creates a shadow named by the sub, with the profile and no password."""
    user = sign_in(alice_claims())

    user.refresh_from_db()
    assert user.username == "2f7c1e0a-0000-4000-8000-000000000001"
    assert (user.first_name, user.last_name, user.email) == (
        "Alice",
        "Liddell",
        "alice@example.com",
    )
    assert not user.has_usable_password()
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)
    link = IdentityLink.objects.get(user=user)
    assert (link.issuer, link.sub) == (ISSUER, "2f7c1e0a-0000-4000-8000-000000000001")
    assert link.picture == "https://idp.test/media/avatars/alice.png"


def test_next_sign_in_updates_same_shadow():
    """A changed name, email and picture update the same shadow at the next sign-in."""
    first = sign_in(alice_claims())

    second = sign_in(
        alice_claims(
            given_name="Alicia", email="alicia@example.com", picture="https://idp.test/b.png"
        )
    )

    assert second.pk == first.pk
    second.refresh_from_db()
    assert (second.first_name, second.email) == ("Alicia", "alicia@example.com")
    assert second.sso_identity.picture == "https://idp.test/b.png"
    assert User.objects.count() == 1


def test_profile_update_keeps_the_unusable_password():
    """An update does not rewrite the password, which would end the user's other sessions."""
    first = sign_in(alice_claims())
    session_hash = first.get_session_auth_hash()

    second = sign_in(alice_claims(given_name="Alicia"))

    second.refresh_from_db()
    assert second.first_name == "Alicia"
    assert second.get_session_auth_hash() == session_hash


def test_local_password_of_a_shadow_is_removed_at_sign_in():
    """A password set locally on a shadow is made unusable again at its next sign-in."""
    user = sign_in(alice_claims())
    user.set_password("local-pass-1")
    user.save()

    sign_in(alice_claims())

    user.refresh_from_db()
    assert not user.has_usable_password()


def test_same_email_other_sub_gets_another_shadow():
    """Users are never matched by email: another sub with the same email is another person."""
    alice = sign_in(alice_claims())

    other = sign_in(alice_claims(sub="9b1d0000-0000-4000-8000-000000000002"))

    assert other.pk != alice.pk
    assert User.objects.filter(email="alice@example.com").count() == 2


def test_local_user_with_same_email_is_not_taken_over():
    """A pre-existing local account with the same email is left alone."""
    local = User.objects.create_user("alice", email="alice@example.com", password="x-secret-1")

    shadow = sign_in(alice_claims())

    assert shadow.pk != local.pk
    local.refresh_from_db()
    assert local.has_usable_password()
    assert not IdentityLink.objects.filter(user=local).exists()


@pytest.fixture
def staff_groups(settings):
    """A project that maps its provider's groups to staff and superuser."""
    settings.SSO_CLIENT = {
        **settings.SSO_CLIENT,
        "STAFF_GROUPS": ["shop-staff"],
        "SUPERUSER_GROUPS": ["shop-admins"],
    }


@pytest.mark.parametrize(
    ("groups", "staff", "superuser"),
    [
        ([], False, False),
        (["shop-staff"], True, False),
        (["shop-admins"], True, True),
        (["customers"], False, False),
        ("shop-admins", False, False),  # not a list: no groups
        ([["shop-admins"]], False, False),
    ],
)
def test_groups_map_to_staff_and_superuser(staff_groups, groups, staff, superuser):
    """STAFF_GROUPS give is_staff; SUPERUSER_GROUPS give is_superuser and is_staff."""
    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims(groups=groups))

    assert (user.is_staff, user.is_superuser) == (staff, superuser)


def test_no_group_gives_rights_by_default():
    """Without STAFF_GROUPS/SUPERUSER_GROUPS, no group name makes anyone staff."""
    user = shadow_user_sync(
        issuer=ISSUER, claims=alice_claims(groups=["shop-admins", "shop-staff", "admin"])
    )

    assert (user.is_staff, user.is_superuser) == (False, False)


def test_groups_claim_name_is_configurable(settings):
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "GROUPS_CLAIM": "roles", "STAFF_GROUPS": ["ops"]}

    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims(groups=[], roles=["ops"]))

    assert (user.is_staff, user.is_superuser) == (True, False)


def test_leaving_a_group_revokes_staff_at_next_sign_in(staff_groups):
    """Staff rights follow the provider's groups at every sign-in."""
    shadow_user_sync(issuer=ISSUER, claims=alice_claims(groups=["shop-admins"]))

    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims(groups=[]))

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_is_active_only_changes_when_provider_says_so():
    """A locally blocked shadow stays blocked; an explicit `active` claim is applied."""
    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims())
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert shadow_user_sync(issuer=ISSUER, claims=alice_claims()).is_active is False
    assert shadow_user_sync(issuer=ISSUER, claims=alice_claims(active=True)).is_active is True


def test_sync_hooks_run_with_user_and_claims(settings):
    """SYNC_HOOKS are called with the shadow and the claims."""
    seen = []
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "SYNC_HOOKS": [lambda **kw: seen.append(kw)]}

    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims())

    assert seen == [{"user": user, "claims": alice_claims()}]


def test_claims_without_sub_are_refused():
    """verify_claims refuses claims without a sub."""
    assert SSOBackend().verify_claims({"email": "alice@example.com"}) is False


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_create_exactly_one_shadow():
    """20 simultaneous first sign-ins of one person give one shadow and 20 successes."""
    barrier = threading.Barrier(20)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(shadow_user_sync(issuer=ISSUER, claims=alice_claims()).pk)
        except Exception as exc:  # any failure is a test failure, reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 20
    assert len(set(results)) == 1
    assert User.objects.count() == 1
    assert IdentityLink.objects.count() == 1


def test_a_sign_in_stores_last_login_with_the_new_shadow():
    """last_login goes into the shadow's INSERT; login() then writes it no second time."""
    user = sign_in(alice_claims())

    user.refresh_from_db()
    assert user.last_login is not None


def test_a_returning_sign_in_updates_last_login():
    first = sign_in(alice_claims())
    User.objects.filter(pk=first.pk).update(last_login=None)

    second = sign_in(alice_claims())

    second.refresh_from_db()
    assert second.last_login is not None


def test_a_sync_does_not_touch_last_login():
    """sso_sync and the events receiver refresh the profile; nobody signed in."""
    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims())
    shadow_user_sync(issuer=ISSUER, claims=alice_claims(given_name="Alicia"))

    user.refresh_from_db()
    assert (user.first_name, user.last_login) == ("Alicia", None)


def test_an_inactive_shadow_gets_no_last_login():
    """The callback refuses an inactive shadow: it did not sign in."""
    user = sign_in(alice_claims(active=False))

    user.refresh_from_db()
    assert (user.is_active, user.last_login) == (False, None)


def test_an_update_writes_only_what_changed():
    """A deactivation saved while a sign-in runs is not undone by the sign-in's UPDATE."""
    sign_in(alice_claims())
    claims = alice_claims(given_name="Alicia")
    backend = SSOBackend()
    (found,) = backend.filter_users_by_claims(claims)
    User.objects.filter(pk=found.pk).update(is_active=False)  # an event, in another request

    backend.update_user(found, claims)

    found.refresh_from_db()
    assert (found.first_name, found.is_active) == ("Alicia", False)
