"""Client registry: the service, the oidc_client and seed_demo commands, the admin."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from oauth2_provider.models import Application

from audit.models import AuditEvent
from oidc.constants import SESSION_AMR_KEY
from oidc.models import ClientOptions
from oidc.selectors import client_service_scopes
from oidc.services.clients import client_register

User = get_user_model()
pytestmark = pytest.mark.django_db


def run(*args: str) -> object:
    """Run oidc_client and return its JSON output."""
    out = StringIO()
    call_command("oidc_client", *args, stdout=out)
    return json.loads(out.getvalue())


def test_secret_is_stored_with_the_fast_hasher(shop_a):
    """The stored secret is a client_sha256 hash that verifies the plain secret."""
    application, secret = shop_a
    application.refresh_from_db()

    assert application.client_secret.startswith("client_sha256$")
    assert secret not in application.client_secret
    assert check_password(secret, application.client_secret)
    assert not check_password("wrong", application.client_secret)


def test_people_passwords_keep_the_slow_hasher(settings, db):
    """The fast hasher is for client secrets only: passwords use the first hasher."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "oidc.hashers.ClientSecretHasher",
    ]
    user = User.objects.create_user(email="p@example.com", password="a-long-password-1")

    assert user.password.startswith("pbkdf2_sha256$")


def test_add_prints_credentials_as_one_json_object():
    """add registers a confidential client and prints client_id, secret and issuer."""
    data = run(
        "add", "--name", "Shop C",
        "--redirect-uri", "http://localhost:8003/oidc/callback/",
        "--post-logout-redirect-uri", "http://localhost:8003/",
        "--backchannel-logout-uri", "http://localhost:8003/oidc/backchannel-logout/",
        "--first-party",
    )  # fmt: skip

    application = Application.objects.get(client_id=data["client_id"])
    assert set(data) == {"client_id", "client_secret", "issuer"}
    assert data["issuer"] == "http://localhost:8000/o"
    assert check_password(data["client_secret"], application.client_secret)
    assert application.skip_authorization is True
    assert application.algorithm == "RS256"
    assert application.authorization_grant_type == "authorization-code"
    assert application.options.backchannel_logout_uri.endswith("/oidc/backchannel-logout/")
    assert AuditEvent.objects.filter(kind="client_registered").count() == 1


def test_add_public_client_has_no_secret():
    """A public client prints client_secret null."""
    data = run("add", "--name", "SPA", "--redirect-uri", "https://spa.example.net/cb", "--public")

    assert data["client_secret"] is None
    assert Application.objects.get(client_id=data["client_id"]).client_type == "public"


@pytest.mark.parametrize(
    "uri",
    ["not-a-url", "ftp://x.example/cb", "https://*.example.net/cb", "https://a.example/cb#frag"],
)
def test_add_refuses_bad_redirect_uris(uri):
    """Invalid, non-http(s), wildcard and fragment URIs are refused; nothing is created."""
    with pytest.raises(CommandError):
        call_command("oidc_client", "add", "--name", "X", "--redirect-uri", uri, stdout=StringIO())

    assert not Application.objects.exists()
    assert not ClientOptions.objects.exists()


def test_list_shows_clients_without_secrets(shop_a):
    """list never contains a secret or its hash."""
    application, secret = shop_a

    data = run("list")

    assert [c["client_id"] for c in data] == [application.client_id]
    assert data[0]["redirect_uris"] == ["http://localhost:8001/oidc/callback/"]
    text = json.dumps(data)
    assert secret not in text and "client_sha256" not in text


def test_rotate_secret_replaces_the_secret(shop_a):
    """The new secret works, the old one no longer does."""
    application, old = shop_a

    data = run("rotate-secret", application.client_id)

    application.refresh_from_db()
    assert check_password(data["client_secret"], application.client_secret)
    assert not check_password(old, application.client_secret)
    assert AuditEvent.objects.filter(kind="client_secret_rotated").count() == 1


def test_rotate_secret_of_unknown_client_is_a_command_error():
    """An unknown client_id gives a clear error."""
    with pytest.raises(CommandError, match="No client with client_id 'nope'"):
        call_command("oidc_client", "rotate-secret", "nope", stdout=StringIO())


def test_seed_demo_is_idempotent(monkeypatch, settings):
    """Two runs give the same users, group and clients; the shop secrets verify."""
    settings.SEED_DEMO_USERS = True
    monkeypatch.setenv("SHOP_A_CLIENT_ID", "shop-a")
    monkeypatch.setenv("SHOP_A_CLIENT_SECRET", "secret-a")
    monkeypatch.setenv("SHOP_A_URL", "http://localhost:8001")
    monkeypatch.delenv("SHOP_B_CLIENT_ID", raising=False)
    out = StringIO()

    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)

    alice = User.objects.get(email="alice@example.com")
    admin = User.objects.get(email="admin@example.com")
    assert User.objects.count() == 2
    assert alice.check_password("demo-alice-pass") and alice.email_verified
    assert alice.get_full_name() == "Alice Liddell"
    assert admin.is_superuser and list(admin.groups.values_list("name", flat=True)) == [
        "shop-admins"
    ]
    shop = Application.objects.get()
    assert shop.client_id == "shop-a"
    assert check_password("secret-a", shop.client_secret)
    assert shop.redirect_uris == "http://localhost:8001/oidc/callback/"
    assert shop.post_logout_redirect_uris == "http://localhost:8001/"
    assert shop.options.backchannel_logout_uri == "http://localhost:8001/oidc/backchannel-logout/"
    assert shop.options.events_uri == "http://localhost:8001/oidc/events/"
    assert shop.options.service_scopes == "users:sync"
    assert "Skipped Shop B" in out.getvalue()
    assert AuditEvent.objects.filter(kind__startswith="client_").count() == 1


def test_admin_changelist_never_shows_the_secret(client, shop_a):
    """The admin lists clients with their redirect URIs and no secret or hash."""
    application, secret = shop_a
    admin = User.objects.create_superuser(email="root@example.com", password="pw-123456789")
    client.force_login(admin)
    session = client.session
    session[SESSION_AMR_KEY] = ["pwd", "otp", "mfa"]  # the admin asks for two factors
    session.save()
    application.refresh_from_db()

    listing = client.get("/admin/oauth2_provider/application/").content.decode()
    detail = client.get(f"/admin/oauth2_provider/application/{application.pk}/change/")

    assert "http://localhost:8001/oidc/callback/" in listing
    for html in (listing, detail.content.decode()):
        assert secret not in html
        assert application.client_secret not in html
    assert "••••" in detail.content.decode()


def test_add_with_allowed_origins_normalises_them():
    """--allowed-origin is repeatable; origins are stored as scheme://host[:port]."""
    added = run(
        "add",
        "--name",
        "SPA",
        "--public",
        "--redirect-uri",
        "http://localhost:5173/cb",
        "--allowed-origin",
        "http://LOCALHOST:5173/",
        "--allowed-origin",
        "https://app.example",
    )
    listed = {c["client_id"]: c for c in run("list")}

    assert listed[added["client_id"]]["allowed_origins"] == [
        "http://localhost:5173",
        "https://app.example",
    ]


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173/app", "ftp://x.example", "https://*.example", "http://h:70000"],
)
def test_add_refuses_what_is_not_an_origin(origin):
    """A path, another scheme, a wildcard or a bad port is refused with a reason."""
    with pytest.raises(CommandError, match="allowed origin"):
        run(
            "add",
            "--name",
            "X",
            "--redirect-uri",
            "http://localhost:1/cb",
            "--allowed-origin",
            origin,
        )


def test_update_changes_only_what_is_given(shop_a):
    """update replaces the allowed origins and keeps the redirect URIs and the secret."""
    application, secret = shop_a

    described = run(
        "update", application.client_id, "--allowed-origin", "http://localhost:5173", "--introspect"
    )

    application.refresh_from_db()
    assert described["allowed_origins"] == ["http://localhost:5173"]
    assert described["introspect"] is True
    assert described["redirect_uris"] == ["http://localhost:8001/oidc/callback/"]
    assert check_password(secret, application.client_secret)


def test_update_of_an_unknown_client_is_a_command_error():
    """An unknown client_id is a clear error, nothing written."""
    with pytest.raises(CommandError, match="No client"):
        run("update", "nope", "--name", "X")


def test_a_public_client_cannot_be_a_resource_server():
    """--introspect needs a secret: a public client is refused."""
    with pytest.raises(CommandError, match="confidential"):
        run(
            "add",
            "--name",
            "X",
            "--public",
            "--redirect-uri",
            "http://localhost:1/cb",
            "--introspect",
        )


def test_add_with_a_service_scope_lists_it():
    """--service-scope is stored on the client's options and shown by list."""
    data = run(
        "add", "--name", "Shop C",
        "--redirect-uri", "http://localhost:8003/oidc/callback/",
        "--service-scope", "users:read",
    )  # fmt: skip

    listed = run("list")

    options = ClientOptions.objects.get(application__client_id=data["client_id"])
    assert options.service_scopes == "users:read"
    assert [c["service_scopes"] for c in listed] == [["users:read"]]
    event = AuditEvent.objects.get(kind="client_registered")
    assert event.data["service_scopes"] == ["users:read"]


def test_add_refuses_an_unknown_service_scope():
    """Only known service scopes: a user scope or a typo is a command error, nothing stored."""
    known = r"\(known: users:read, users:sync\)"
    with pytest.raises(CommandError, match=rf"Unknown service scope: openid {known}"):
        run(
            "add", "--name", "X", "--redirect-uri", "http://localhost:1/cb",
            "--service-scope", "users:read", "--service-scope", "openid",
        )  # fmt: skip

    assert not Application.objects.exists()
    assert not ClientOptions.objects.exists()


def test_a_public_client_cannot_have_service_scopes():
    """The client credentials grant needs a secret: a public client is refused."""
    with pytest.raises(CommandError, match="Only a confidential client can have service scopes"):
        run(
            "add", "--name", "X", "--public", "--redirect-uri", "http://localhost:1/cb",
            "--service-scope", "users:read",
        )  # fmt: skip

    assert not Application.objects.exists()
    assert not ClientOptions.objects.exists()


def test_update_replaces_and_clears_service_scopes(shop_a):
    """--service-scope replaces, --no-service-scopes clears; other options are kept."""
    application, _secret = shop_a

    granted = run("update", application.client_id, "--service-scope", "users:read")
    kept = run("update", application.client_id, "--name", "Shop A2")
    cleared = run("update", application.client_id, "--no-service-scopes")

    assert granted["service_scopes"] == ["users:read"]
    assert kept["service_scopes"] == ["users:read"]
    assert cleared["service_scopes"] == []
    assert cleared["backchannel_logout_uri"] == "http://localhost:8001/oidc/backchannel-logout/"
    assert ClientOptions.objects.get(application=application).service_scopes == ""


def test_update_refuses_an_unknown_service_scope(service_shop):
    """A bad scope on update is a command error and the stored scopes stay."""
    application, _secret = service_shop

    with pytest.raises(CommandError, match="Unknown service scope: users:write"):
        run("update", application.client_id, "--service-scope", "users:write")

    assert ClientOptions.objects.get(application=application).service_scopes == "users:read"


def test_update_refuses_service_scopes_and_none_together(service_shop):
    """--service-scope and --no-service-scopes contradict each other: refused, nothing changed."""
    application, _secret = service_shop

    with pytest.raises(CommandError, match="not allowed with argument"):
        run("update", application.client_id, "--service-scope", "users:read", "--no-service-scopes")

    assert ClientOptions.objects.get(application=application).service_scopes == "users:read"


def test_a_public_client_holds_no_service_scopes_whatever_is_stored(db):
    """The selector gives a public client no service scope even if the admin stored one."""
    application, _ = client_register(
        name="SPA", redirect_uris=["http://localhost:5173/cb"], post_logout_redirect_uris=[],
        public=True,
    )  # fmt: skip
    ClientOptions.objects.filter(application=application).update(service_scopes="users:read")

    assert client_service_scopes(application=application) == frozenset()


def test_events_uri_is_set_listed_and_cleared(shop_a):
    """--events-uri on add and update, shown by list; --no-events-uri clears it."""
    added = run(
        "add", "--name", "Shop C", "--redirect-uri", "http://localhost:8003/oidc/callback/",
        "--events-uri", "http://localhost:8003/oidc/events/",
    )  # fmt: skip
    application, _secret = shop_a

    updated = run("update", application.client_id, "--events-uri", "http://localhost:8001/ev/")
    listed = {client["client_id"]: client for client in run("list")}
    cleared = run("update", application.client_id, "--no-events-uri")

    assert listed[added["client_id"]]["events_uri"] == "http://localhost:8003/oidc/events/"
    assert updated["events_uri"] == "http://localhost:8001/ev/"
    assert cleared["events_uri"] == ""
    assert cleared["backchannel_logout_uri"] == "http://localhost:8001/oidc/backchannel-logout/"


def test_a_bad_events_uri_is_refused_and_nothing_changes(shop_a):
    """The events URI is checked like the back-channel logout URI."""
    application, _secret = shop_a

    with pytest.raises(CommandError, match="events URI"):
        run("update", application.client_id, "--events-uri", "https://*.example/events")

    assert ClientOptions.objects.get(application=application).events_uri == ""
