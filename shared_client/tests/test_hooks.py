"""mozilla-django-oidc's hook chain, each hook overridden by a project's SSOBackend subclass.

Every test signs in through the callback view, so the hooks are called by mozilla's own
get_or_create_user(), as in a project.
"""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from sso_client.backends import SSOBackend
from sso_client.models import IdentityLink
from tests.conftest import ISSUER, alice_claims, callback_query

User = get_user_model()
pytestmark = pytest.mark.django_db

ALICE_SUB = alice_claims()["sub"]
# Hook name and argument of every call, in order, by the backends below.
calls: list[tuple[str, Any]] = []


class RecordingBackend(SSOBackend):
    """Record each hook call, then do what SSOBackend does."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        calls.append(("verify_claims", claims["sub"]))
        return super().verify_claims(claims)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet:
        calls.append(("filter_users_by_claims", claims["sub"]))
        return super().filter_users_by_claims(claims)

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        calls.append(("create_user", claims["sub"]))
        return super().create_user(claims)

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any]) -> AbstractBaseUser:
        calls.append(("update_user", user.pk))
        return super().update_user(user, claims)

    def get_username(self, claims: dict[str, Any]) -> str:
        calls.append(("get_username", claims["sub"]))
        return super().get_username(claims)


class VerifiedEmailOnlyBackend(SSOBackend):
    """verify_claims: only identities with a verified email may sign in."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return super().verify_claims(claims) and claims.get("email_verified") is True


class MatchByEmailBackend(SSOBackend):
    """filter_users_by_claims: find a project's existing local user by its email."""

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet:
        return self.UserModel.objects.filter(email__iexact=claims.get("email", ""))


class CustomerNumberBackend(SSOBackend):
    """get_username: a project's own naming of new shadows."""

    def get_username(self, claims: dict[str, Any]) -> str:
        return f"customer-{claims['sub'][:8]}"


class WelcomeBackend(SSOBackend):
    """create_user: the project does more for a first sign-in."""

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        user = super().create_user(claims)
        user.last_name = f"{user.last_name} (new)"
        user.save(update_fields=["last_name"])
        return user


class NicknameBackend(SSOBackend):
    """update_user: the project keeps a first name its staff corrected locally."""

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any]) -> AbstractBaseUser:
        local_first_name = user.first_name
        user = super().update_user(user, claims)
        user.first_name = local_first_name
        user.save(update_fields=["first_name"])
        return user


@pytest.fixture
def use_backend(settings):
    def use(backend: type[SSOBackend]) -> None:
        settings.AUTHENTICATION_BACKENDS = [f"{__name__}.{backend.__name__}"]

    calls.clear()
    return use


def sign_in(client, idp) -> Any:
    return client.get("/oidc/callback/", callback_query(client, idp))


def signed_in_user(client) -> AbstractBaseUser:
    return User.objects.get(pk=client.session["_auth_user_id"])


def test_first_sign_in_calls_verify_filter_create_and_get_username(client, idp, use_backend):
    """mozilla's chain: verify_claims, filter_users_by_claims (nobody), create_user."""
    use_backend(RecordingBackend)

    assert sign_in(client, idp).status_code == 302

    assert calls == [
        ("verify_claims", ALICE_SUB),
        ("filter_users_by_claims", ALICE_SUB),
        ("create_user", ALICE_SUB),
        ("get_username", ALICE_SUB),
    ]


def test_next_sign_in_calls_update_user_with_the_user_found(client, idp, use_backend):
    use_backend(RecordingBackend)
    sign_in(client, idp)
    shadow = User.objects.get()
    calls.clear()

    assert sign_in(client, idp).status_code == 302

    assert calls == [
        ("verify_claims", ALICE_SUB),
        ("filter_users_by_claims", ALICE_SUB),
        ("update_user", shadow.pk),
    ]


def test_verify_claims_override_refuses_the_sign_in(client, idp, use_backend):
    """A False from verify_claims is the 400 page, and no user is created."""
    use_backend(VerifiedEmailOnlyBackend)
    idp.userinfo["email_verified"] = False

    response = sign_in(client, idp)

    assert response.status_code == 400
    assert response.templates[0].name == "sso_client/error.html"
    assert User.objects.count() == 0


def test_verify_claims_override_lets_verified_email_in(client, idp, use_backend):
    use_backend(VerifiedEmailOnlyBackend)

    assert sign_in(client, idp).status_code == 302
    assert User.objects.count() == 1


def test_filter_users_by_claims_override_updates_and_links_the_user_found(client, idp, use_backend):
    """The user the project's filter found is updated and linked: no duplicate shadow."""
    use_backend(MatchByEmailBackend)
    local = User.objects.create_user("alice-local", email="alice@example.com", password="pw-12345")

    response = sign_in(client, idp)

    assert response.status_code == 302
    assert User.objects.count() == 1
    local.refresh_from_db()
    assert signed_in_user(client) == local
    assert (local.username, local.first_name, local.last_name) == (
        "alice-local",
        "Alice",
        "Liddell",
    )
    assert not local.has_usable_password()
    link = IdentityLink.objects.get()
    assert (link.user, link.issuer, link.sub) == (local, ISSUER, ALICE_SUB)


def test_filter_users_by_claims_override_second_sign_in_keeps_one_user(client, idp, use_backend):
    use_backend(MatchByEmailBackend)
    User.objects.create_user("alice-local", email="alice@example.com")
    sign_in(client, idp)
    client.logout()
    idp.userinfo["given_name"] = "Alicia"

    assert sign_in(client, idp).status_code == 302

    assert User.objects.get().first_name == "Alicia"
    assert IdentityLink.objects.count() == 1


def test_user_found_linked_to_another_identity_is_refused(client, idp, use_backend):
    """A filter that finds someone else's shadow cannot hand it over: 400, nothing changed."""
    use_backend(MatchByEmailBackend)
    bob = User.objects.create_user("bob", email="alice@example.com", first_name="Bob")
    IdentityLink.objects.create(user=bob, issuer=ISSUER, sub="bob-sub")

    response = sign_in(client, idp)

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    bob.refresh_from_db()
    assert bob.first_name == "Bob"
    assert IdentityLink.objects.get().sub == "bob-sub"


def test_get_username_override_names_the_new_shadow(client, idp, use_backend):
    use_backend(CustomerNumberBackend)

    sign_in(client, idp)

    user = User.objects.get()
    assert user.username == "customer-2f7c1e0a"
    assert user.sso_identity.sub == ALICE_SUB


def test_create_user_override_runs_at_first_sign_in_only(client, idp, use_backend):
    use_backend(WelcomeBackend)
    sign_in(client, idp)
    assert User.objects.get().last_name == "Liddell (new)"
    client.logout()

    sign_in(client, idp)

    assert User.objects.get().last_name == "Liddell"


def test_update_user_override_gets_the_existing_shadow(client, idp, use_backend):
    use_backend(NicknameBackend)
    sign_in(client, idp)
    User.objects.update(first_name="Ali")
    client.logout()
    idp.userinfo["family_name"] = "Pleasance"

    sign_in(client, idp)

    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Ali", "Pleasance")
    assert signed_in_user(client) == user
