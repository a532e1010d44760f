"""The user model: email identity, opaque subject."""

import uuid

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tests.staff import admin_client_for

pytestmark = pytest.mark.django_db


def test_email_is_unique_whatever_its_case(make_user):
    """Two accounts cannot share an email that differs only in case."""
    make_user(email="Alice@Example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ALICE@example.COM")

    assert User.objects.count() == 1


def test_email_is_stored_lower_case(make_user):
    """The stored email is normalised, so lookups need no case folding."""
    user = make_user(email="  Bob@Example.COM ")

    assert user.email == "bob@example.com"


def test_sub_is_a_stable_uuid_and_not_the_primary_key(make_user):
    """The subject is random, survives saves and is never the database id."""
    user = make_user()
    sub = user.sub

    user.given_name = "Alicia"
    user.save()
    user.refresh_from_db()

    assert isinstance(sub, uuid.UUID)
    assert user.sub == sub
    assert str(user.sub) != str(user.pk)


def test_create_superuser_is_staff(db):
    """The manager creates superusers by email."""
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")

    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("pw-123456789")


def test_full_name_falls_back_to_email(make_user):
    """Admin lists show a name, else the email."""
    user = make_user(given_name="", family_name="")

    assert user.get_full_name() == "alice@example.com"


def test_admin_user_pages_open(client, make_user):
    """The admin's user list, search, add and change pages work with email as username."""
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")
    alice = make_user()
    client = admin_client_for(admin)

    listing = client.get("/admin/accounts/user/", {"q": "liddell"})

    assert listing.status_code == 200
    assert "alice@example.com" in listing.content.decode()
    assert listing.context["cl"].result_count == 1
    assert client.get("/admin/accounts/user/add/").status_code == 200
    assert client.get(f"/admin/accounts/user/{alice.pk}/change/").status_code == 200
