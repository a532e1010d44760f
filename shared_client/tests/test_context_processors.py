"""Template context: the sign-in link, the account link and the avatar."""

import pytest
from django.test import RequestFactory

from sso_client.context_processors import sso
from sso_client.provisioning import shadow_user_sync
from tests.conftest import ISSUER, alice_claims

pytestmark = pytest.mark.django_db


def request_for(path, user=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    return request


def test_signed_out_context():
    context = sso(request_for("/products/tea/?page=2"))

    assert context == {
        "sso_login_url": "/oidc/login/?next=%2Fproducts%2Ftea%2F%3Fpage%3D2",
        "sso_account_url": "https://idp.test/account/profile/",
        "sso_picture": "",
    }


def test_signed_in_user_gets_picture():
    user = shadow_user_sync(issuer=ISSUER, claims=alice_claims())

    assert sso(request_for("/", user))["sso_picture"] == "https://idp.test/media/avatars/alice.png"


def test_local_user_without_link_has_no_picture(django_user_model):
    user = django_user_model.objects.create_user("bob")

    assert sso(request_for("/", user))["sso_picture"] == ""
