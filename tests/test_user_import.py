"""Existing shop customers move onto SSO: same email, same password, same orders."""

import json
import secrets
from dataclasses import dataclass

import pytest
from support.web import WebClient, sign_in_at_shop

# Every table a shop's legacy data lives in: the import must leave them exactly as they were.
LEGACY_TABLES = ("auth_user", "shop_order")


@dataclass(frozen=True)
class Legacy:
    """One legacy customer as a shop had them: local user, password, one order."""

    email: str
    password: str
    first_name: str


def database_url(stack, project: str) -> str:
    """Return the database URL a project of the stack runs on."""
    prefix = {"project_a": "SHOP_A", "project_b": "SHOP_B"}[project]
    name = {"project_a": "shop_a", "project_b": "shop_b"}[project]
    return stack.env.get(f"{prefix}_DATABASE_URL") or f"sqlite:///{stack.var_dir}/{name}.sqlite3"


def legacy_customer_add(stack, project: str, customer: Legacy) -> int:
    """Create a plain Django user with a password (PBKDF2) and an order; return the order id."""
    out = stack.shell(
        project,
        "from django.contrib.auth import get_user_model; from shop.models import Order; "
        f"user = get_user_model().objects.create_user(username={customer.email.split('@')[0]!r}"
        f", email={customer.email!r}, password={customer.password!r}, "
        f"first_name={customer.first_name!r}); "
        "print(Order.objects.create(user=user, total='12.50').pk)",
    )
    return int(out.splitlines()[-1])


# Run in a shop's Django shell: a digest of the legacy tables, row by row.
CHECKSUM_CODE = """
import hashlib
from django.db import connection
digest = hashlib.sha256()
with connection.cursor() as cursor:
    for table in TABLES:
        cursor.execute("SELECT * FROM " + table + " ORDER BY id")
        digest.update(repr(cursor.fetchall()).encode())
print(digest.hexdigest())
"""


def tables_checksum(stack, project: str) -> str:
    """Return a digest of the shop's legacy tables, row by row."""
    code = CHECKSUM_CODE.replace("TABLES", repr(LEGACY_TABLES))
    return stack.shell(project, code).splitlines()[-1]


def orders_shown(client: WebClient, shop_url: str) -> str:
    """Return the text of the shop's "My orders" page."""
    client.get(f"{shop_url}/orders/")
    return client.page().get_text(" ", strip=True)


@pytest.fixture(scope="module")
def moved(stack, tmp_path_factory: pytest.TempPathFactory):
    """Legacy customers at both shops, imported at the IdP and linked at each shop."""
    tag = secrets.token_hex(3)
    ann = Legacy(f"Ann.{tag}@example.com", "ann-legacy-password", "Ann")
    bob = Legacy(f"bob.{tag}@example.com", "bob-legacy-password", "Bob")
    carol_a = Legacy(f"carol.{tag}@example.com", "carol-password-at-a", "Carol")
    carol_b = Legacy(f"carol.{tag}@example.com", "carol-password-at-b", "Caroline")
    orders = {
        "a_ann": legacy_customer_add(stack, "project_a", ann),
        "a_carol": legacy_customer_add(stack, "project_a", carol_a),
        "b_ann": legacy_customer_add(stack, "project_b", ann),
        "b_bob": legacy_customer_add(stack, "project_b", bob),
        "b_carol": legacy_customer_add(stack, "project_b", carol_b),
    }
    before = {p: tables_checksum(stack, p) for p in ("project_a", "project_b")}
    reports = tmp_path_factory.mktemp("import")

    stack.run(
        "identity_server",
        "manage",
        "import_users",
        "--source-url",
        f"a={database_url(stack, 'project_a')}",
        "--source-url",
        f"b={database_url(stack, 'project_b')}",
        "--prefer",
        "a",
        "--report",
        str(reports / "import.json"),
    )
    after = {p: tables_checksum(stack, p) for p in ("project_a", "project_b")}
    for shop, project in (("SHOP_A", "project_a"), ("SHOP_B", "project_b")):
        client_id, _ = stack.client_credentials(shop)
        stack.run(
            "identity_server", "manage", "oidc_client", "update", client_id,
            "--service-scope", "users:read",
        )  # fmt: skip
        stack.run(project, "manage", "sso_link_users", "--report", str(reports / f"{project}.json"))
    return {
        "ann": ann,
        "bob": bob,
        "carol": carol_a,
        "orders": orders,
        "before": before,
        "after": after,
        "import_report": json.loads((reports / "import.json").read_text()),
        "link_reports": {
            p: json.loads((reports / f"{p}.json").read_text()) for p in ("project_a", "project_b")
        },
    }


def test_a_legacy_customer_signs_in_with_the_old_password_and_finds_the_old_orders(stack, moved):
    """Ann signs in at A through SSO with her shop password; A's and B's old orders are hers."""
    ann, orders = moved["ann"], moved["orders"]
    client = WebClient()

    sign_in_at_shop(client, stack.shop_a, ann.email.lower(), ann.password)
    at_a = orders_shown(client, stack.shop_a)
    client.get(f"{stack.shop_b}/oidc/login/?next=/orders/")
    at_b = client.page().get_text(" ", strip=True)

    assert f"Order #{orders['a_ann']}" in at_a
    assert "/account/login/" not in client.last.url  # B signed her in without a password
    assert f"Order #{orders['b_ann']}" in at_b


def test_a_customer_only_shop_b_knew_signs_in_at_b(stack, moved):
    """Bob existed only at B: imported from B, linked at B, his order is there."""
    bob, orders = moved["bob"], moved["orders"]
    client = WebClient()

    sign_in_at_shop(client, stack.shop_b, bob.email, bob.password)

    assert f"Order #{orders['b_bob']}" in orders_shown(client, stack.shop_b)


def test_a_conflict_follows_the_preferred_source_and_is_reported(stack, moved):
    """Carol had other passwords at A and B: A's (preferred) works, and the report says so."""
    carol = moved["carol"]
    client = WebClient()

    sign_in_at_shop(client, stack.shop_a, carol.email, carol.password)

    report = json.dumps(moved["import_report"])
    assert carol.email.lower() in report
    assert "conflict" in report
    assert client.page().select_one(".user-name") is not None


def test_the_legacy_tables_are_only_read(moved):
    """The import leaves both shops' user and order tables exactly as they were."""
    assert moved["before"] == moved["after"]


def test_each_shop_linked_its_own_customers(moved):
    """The link reports name every legacy customer of that shop as linked."""
    linked_a = json.dumps(moved["link_reports"]["project_a"]).lower()
    linked_b = json.dumps(moved["link_reports"]["project_b"]).lower()

    assert moved["ann"].email.lower() in linked_a and moved["carol"].email.lower() in linked_a
    assert moved["bob"].email.lower() in linked_b and moved["ann"].email.lower() in linked_b
