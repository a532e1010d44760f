"""LegacyReadOnlyRouter against a real second database: reads there, writes refused."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, router

from sso_client.routers import LegacyReadOnlyRouter, LegacyWriteRefused
from tests.testapp.models import LegacyCustomer, Order

User = get_user_model()
both_databases = pytest.mark.django_db(databases=["default", "legacy"])


def legacy_sql(sql, params=()):
    """Run SQL on the legacy database directly, as the other shop's application would."""
    with connections["legacy"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def legacy_rows():
    return legacy_sql("SELECT id, email, name FROM legacy_customer ORDER BY id")


@pytest.fixture
def legacy_table():
    """The other shop's table, created outside Django (the router migrates nothing there)."""
    legacy_sql(
        "CREATE TABLE legacy_customer "
        "(id integer PRIMARY KEY, email varchar(254) NOT NULL, name varchar(100) NOT NULL)"
    )
    legacy_sql(
        "INSERT INTO legacy_customer (id, email, name) VALUES (1, %s, %s), (2, %s, %s)",
        ["alice@example.com", "Alice", "bob@example.com", "Bob"],
    )
    return [(1, "alice@example.com", "Alice"), (2, "bob@example.com", "Bob")]


@both_databases
def test_reads_go_to_the_legacy_database(legacy_table):
    """The ORM reads the legacy model from the legacy alias, which the default does not have."""
    customers = LegacyCustomer.objects.order_by("id")

    assert customers.db == "legacy"
    assert list(customers.values_list("id", "email", "name")) == legacy_table
    alice = LegacyCustomer.objects.get(email="alice@example.com")
    assert (alice.name, alice._state.db) == ("Alice", "legacy")
    alice.refresh_from_db()
    assert alice.name == "Alice"
    assert "legacy_customer" not in connections["default"].introspection.table_names()


@both_databases
def test_save_of_a_legacy_row_is_refused(legacy_table):
    """save() raises LegacyWriteRefused and the row is unchanged."""
    alice = LegacyCustomer.objects.get(pk=1)
    alice.name = "Mallory"

    with pytest.raises(LegacyWriteRefused) as excinfo:
        alice.save()

    assert str(excinfo.value) == (
        "testapp.LegacyCustomer is read-only: it lives in the legacy database 'legacy' "
        "(SSO_CLIENT['LEGACY_MODELS'])."
    )
    assert legacy_rows() == legacy_table


@both_databases
@pytest.mark.parametrize(
    "write",
    [
        lambda: LegacyCustomer.objects.create(id=3, email="eve@example.com", name="Eve"),
        lambda: LegacyCustomer(id=3, email="eve@example.com", name="Eve").save(),
        lambda: LegacyCustomer.objects.bulk_create([LegacyCustomer(id=3, email="e@x.test")]),
        lambda: LegacyCustomer.objects.get_or_create(email="eve@example.com"),
        lambda: LegacyCustomer.objects.get(pk=1).delete(),
        lambda: LegacyCustomer.objects.filter(pk=2).delete(),
        lambda: LegacyCustomer.objects.update(name="Nobody"),
        lambda: list(LegacyCustomer.objects.select_for_update()),
    ],
    ids=[
        "create",
        "save-new",
        "bulk_create",
        "get_or_create",
        "delete",
        "queryset-delete",
        "update",
        "select_for_update",
    ],
)
def test_every_write_of_a_legacy_model_is_refused(legacy_table, write):
    """create, save, bulk_create, delete, update and row locks all raise; no row changes."""
    with pytest.raises(LegacyWriteRefused):
        write()

    assert legacy_rows() == legacy_table


@both_databases
def test_other_models_are_not_routed(legacy_table):
    """Models not in LEGACY_MODELS are read and written on the default database as before."""
    user = User.objects.create_user("alice", email="alice@example.com")
    Order.objects.create(user=user, number="A-1")

    assert (user._state.db, Order.objects.get().user_id) == ("default", user.pk)
    assert router.db_for_write(Order) == "default"
    assert router.db_for_read(User) == "default"


def test_nothing_is_migrated_on_the_legacy_alias():
    """allow_migrate is False for every app on the alias, and for legacy models anywhere."""
    legacy = LegacyReadOnlyRouter()

    assert legacy.allow_migrate("legacy", "auth", model_name="user") is False
    assert legacy.allow_migrate("legacy", "sso_client") is False
    assert legacy.allow_migrate("default", "testapp", model_name="legacycustomer") is False
    assert legacy.allow_migrate("default", "testapp", model_name="order") is None
    assert legacy.allow_migrate("default", "auth", model_name="user") is None


@both_databases
def test_migrate_creates_no_table_on_the_legacy_database():
    """The test databases were migrated: the legacy one holds at most Django's migration log."""
    legacy_tables = set(connections["legacy"].introspection.table_names())
    default_tables = set(connections["default"].introspection.table_names())

    call_command("migrate", database="legacy", verbosity=0)

    assert legacy_tables <= {"django_migrations"}
    assert set(connections["legacy"].introspection.table_names()) == legacy_tables
    assert {"auth_user", "sso_client_identitylink", "testapp_order"} <= default_tables
    assert "legacy_customer" not in default_tables


@both_databases
def test_relations_only_within_one_database(legacy_table):
    """A legacy row may relate to a legacy row, never to a row of the default database."""
    alice, bob = LegacyCustomer.objects.order_by("id")
    user = User.objects.create_user("alice")
    other = User.objects.create_user("bob")

    assert router.allow_relation(alice, bob) is True
    assert router.allow_relation(alice, user) is False
    assert router.allow_relation(user, alice) is False
    assert LegacyReadOnlyRouter().allow_relation(user, other) is None


def test_router_without_legacy_database_has_no_opinion(settings):
    """With LEGACY_DATABASE unset, the legacy models are ordinary models."""
    settings.SSO_CLIENT = {**settings.SSO_CLIENT, "LEGACY_DATABASE": None}
    legacy = LegacyReadOnlyRouter()

    assert legacy.db_for_read(LegacyCustomer) is None
    assert legacy.db_for_write(LegacyCustomer) is None
    assert legacy.allow_migrate("legacy", "auth", model_name="user") is None
    assert legacy.allow_migrate("default", "testapp", model_name="legacycustomer") is None
