"""The clients admin: changes through the client services, audited; secrets shown once."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from oauth2_provider.models import get_application_model

from audit.models import AuditEvent
from oidc.models import ClientOptions
from oidc.services.clients import client_register

User = get_user_model()
Application = get_application_model()
pytestmark = pytest.mark.django_db

ADD_URL = "/admin/oauth2_provider/application/"
SECRETS_URL = "/admin/oauth2_provider/application/new-secrets/"


def client_form(**changes) -> dict:
    """The application form as the admin page posts it (shop C), with ``changes`` applied."""
    data = {
        "name": "Shop C",
        "client_type": "confidential",
        "skip_authorization": "on",
        "redirect_uris": "http://localhost:8003/oidc/callback/",
        "post_logout_redirect_uris": "http://localhost:8003/",
        "backchannel_logout_uri": "http://localhost:8003/oidc/backchannel-logout/",
        "allowed_origins": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def form_for(application, **changes) -> dict:
    """The change form of a stored client as the admin page posts it, with ``changes``."""
    options = application.options
    stored = {
        "name": application.name,
        "client_type": application.client_type,
        "skip_authorization": "on" if application.skip_authorization else None,
        "redirect_uris": "\n".join(application.redirect_uris.split()),
        "post_logout_redirect_uris": "\n".join(application.post_logout_redirect_uris.split()),
        "backchannel_logout_uri": options.backchannel_logout_uri,
        "allowed_origins": "\n".join(application.allowed_origins.split()),
        "service_scopes": options.service_scopes.split(),
        "can_introspect": "on" if options.can_introspect else None,
    }
    return client_form(**(stored | changes))


def change_url(application) -> str:
    return f"/admin/oauth2_provider/application/{application.pk}/change/"


def shown_secrets(response) -> list[str]:
    """Return the secrets a new-secrets page shows."""
    return [item["secret"] for item in response.context["secrets"]]


# Add


def test_adding_a_client_shows_its_secret_once_and_stores_only_the_hash(admin_client, root):
    """Add → the new-secrets page shows the secret; a reload and the client's pages do not."""
    added = admin_client.post(f"{ADD_URL}add/", client_form())

    assert added.status_code == 302
    assert added["Location"] == SECRETS_URL
    application = Application.objects.get(name="Shop C")
    page = admin_client.get(SECRETS_URL)
    (secret,) = shown_secrets(page)
    assert secret in page.content.decode()
    assert "will not be shown again" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert check_password(secret, application.client_secret)
    assert secret not in application.client_secret
    reload = admin_client.get(SECRETS_URL)
    assert shown_secrets(reload) == []
    assert secret not in reload.content.decode()
    for url in (ADD_URL, change_url(application)):
        html = admin_client.get(url).content.decode()
        assert secret not in html and application.client_secret not in html
    assert admin_client.session.get("oidc_admin_new_secrets") is None


def test_an_added_client_is_registered_through_the_service(admin_client, root):
    """The service's values: authorization code, RS256, options, one audit event by the admin."""
    admin_client.post(f"{ADD_URL}add/", client_form(service_scopes=["users:read"]))

    application = Application.objects.get(name="Shop C")
    assert application.authorization_grant_type == "authorization-code"
    assert application.algorithm == "RS256"
    assert application.skip_authorization is True
    assert application.redirect_uris == "http://localhost:8003/oidc/callback/"
    assert application.options.backchannel_logout_uri.endswith("/oidc/backchannel-logout/")
    assert application.options.service_scopes == "users:read"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_REGISTERED)
    assert event.actor == root
    assert event.data["client_id"] == application.client_id


def test_adding_a_public_client_shows_no_secret(admin_client):
    """A public client has no secret: Add goes to the change list, as Django does."""
    added = admin_client.post(
        f"{ADD_URL}add/", client_form(client_type="public", backchannel_logout_uri="")
    )

    assert added.status_code == 302
    assert added["Location"] != SECRETS_URL
    assert Application.objects.get(name="Shop C").client_type == "public"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("redirect_uris", "https://*.example.net/cb", "wildcards are not allowed"),
        ("redirect_uris", "https://shop.example/cb#top", "a fragment is not allowed"),
        ("redirect_uris", "ftp://shop.example/cb", "the scheme must be one of"),
        ("redirect_uris", "not a url", "the scheme must be one of"),
        ("redirect_uris", "https://user@shop.example/cb", "credentials in the URL"),
        ("post_logout_redirect_uris", "https://shop.example/#x", "a fragment is not allowed"),
        ("backchannel_logout_uri", "https://*.example/logout", "wildcards are not allowed"),
        ("allowed_origins", "https://shop.example/app", "an origin has no path"),
        ("name", "  ", "This field is required"),
    ],
)
def test_a_bad_value_is_a_form_error_and_nothing_is_created(admin_client, field, value, message):
    """Each bad value is refused next to its field, with the service's reason; no 500."""
    response = admin_client.post(f"{ADD_URL}add/", client_form(**{field: value}))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not Application.objects.exists()
    assert not ClientOptions.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_REGISTERED).exists()


def test_http_redirect_uris_are_refused_when_the_identity_server_is_on_https(
    admin_client, settings
):
    """On an https identity server only https redirect URIs are accepted."""
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    }

    response = admin_client.post(f"{ADD_URL}add/", client_form())

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "the scheme must be one of https" in " ".join(errors["redirect_uris"])
    assert not Application.objects.exists()


def test_a_public_client_with_service_scopes_is_a_form_error(admin_client):
    """The client credentials grant needs a secret: refused next to the scopes."""
    response = admin_client.post(
        f"{ADD_URL}add/", client_form(client_type="public", service_scopes=["users:read"])
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["service_scopes"] == ["Only a confidential client can have service scopes."]
    assert not Application.objects.exists()


# Change


def test_changing_redirect_uris_goes_through_the_service_and_is_audited(admin_client, root, shop_a):
    """New redirect URIs are stored; CLIENT_UPDATED names the fields; the secret still works."""
    application, secret = shop_a
    uris = "http://localhost:8001/oidc/callback/\nhttp://localhost:8001/other/callback/"

    response = admin_client.post(change_url(application), form_for(application, redirect_uris=uris))

    assert response.status_code == 302, response.context["adminform"].form.errors
    application.refresh_from_db()
    assert application.redirect_uris == (
        "http://localhost:8001/oidc/callback/ http://localhost:8001/other/callback/"
    )
    assert check_password(secret, application.client_secret)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_UPDATED)
    assert event.actor == root
    assert event.data["fields"] == ["redirect_uris"]
    assert event.data["client_id"] == application.client_id


def test_changing_options_and_first_party_is_audited(admin_client, shop_a):
    """Options (back-channel URI, resource server) and first-party go through the service."""
    application, _secret = shop_a

    admin_client.post(
        change_url(application),
        form_for(
            application,
            skip_authorization=None,
            can_introspect="on",
            backchannel_logout_uri="http://localhost:8001/logout/",
        ),
    )

    application.refresh_from_db()
    options = ClientOptions.objects.get(application=application)
    assert application.skip_authorization is False
    assert (options.can_introspect, options.backchannel_logout_uri) == (
        True,
        "http://localhost:8001/logout/",
    )
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_UPDATED)
    assert event.data["fields"] == [
        "skip_authorization",
        "backchannel_logout_uri",
        "can_introspect",
    ]


def test_an_invalid_redirect_uri_on_change_is_a_form_error_and_keeps_the_client(
    admin_client, shop_a
):
    """A wildcard is refused with a message; the stored URIs stay."""
    application, _secret = shop_a

    response = admin_client.post(
        change_url(application), form_for(application, redirect_uris="http://*.localhost/cb")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "wildcards are not allowed" in " ".join(errors["redirect_uris"])
    application.refresh_from_db()
    assert application.redirect_uris == "http://localhost:8001/oidc/callback/"
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_UPDATED).exists()


def test_saving_an_unchanged_client_records_nothing(admin_client, shop_a):
    """No change, no CLIENT_UPDATED."""
    application, _secret = shop_a

    response = admin_client.post(change_url(application), form_for(application))

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_UPDATED).exists()


def test_the_secret_field_is_not_on_the_form(admin_client, shop_a):
    """A posted client_secret is ignored: the secret changes only by rotation."""
    application, secret = shop_a

    admin_client.post(
        change_url(application), form_for(application, client_secret="chosen-by-admin")
    )

    application.refresh_from_db()
    assert check_password(secret, application.client_secret)
    assert not check_password("chosen-by-admin", application.client_secret)


def test_making_a_client_public_drops_its_secret(admin_client, shop_a):
    """A confidential client made public no longer authenticates with its old secret."""
    application, secret = shop_a

    admin_client.post(change_url(application), form_for(application, client_type="public"))

    application.refresh_from_db()
    assert application.client_type == "public"
    assert not check_password(secret, application.client_secret)


def test_making_a_public_client_confidential_shows_a_new_secret_once(admin_client):
    """The new secret is issued (never an empty one) and shown once."""
    application, _ = client_register(
        name="SPA",
        redirect_uris=["http://localhost:5173/cb"],
        post_logout_redirect_uris=[],
        public=True,
    )

    response = admin_client.post(
        change_url(application), form_for(application, client_type="confidential")
    )

    assert response.status_code == 302
    assert response["Location"] == SECRETS_URL
    (secret,) = shown_secrets(admin_client.get(SECRETS_URL))
    application.refresh_from_db()
    assert application.client_type == "confidential"
    assert check_password(secret, application.client_secret)
    assert not check_password("", application.client_secret)


# Rotate


def test_the_rotate_action_shows_each_new_secret_once(admin_client, root, shop_a, shop_b):
    """Both selected clients get a new secret, shown on one page once; the old ones fail."""
    (app_a, old_a), (app_b, old_b) = shop_a, shop_b

    response = admin_client.post(
        ADD_URL, {"action": "rotate_secret", "_selected_action": [app_a.pk, app_b.pk]}
    )

    assert response.status_code == 302
    assert response["Location"] == SECRETS_URL
    page = admin_client.get(SECRETS_URL)
    shown = {item["client_id"]: item["secret"] for item in page.context["secrets"]}
    app_a.refresh_from_db()
    app_b.refresh_from_db()
    assert check_password(shown[app_a.client_id], app_a.client_secret)
    assert check_password(shown[app_b.client_id], app_b.client_secret)
    assert not check_password(old_a, app_a.client_secret)
    assert not check_password(old_b, app_b.client_secret)
    assert shown_secrets(admin_client.get(SECRETS_URL)) == []
    rotations = AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_SECRET_ROTATED)
    assert {event.actor for event in rotations} == {root}
    assert rotations.count() == 2


def test_the_rotate_button_asks_first(admin_client, shop_a):
    """GET asks and changes nothing; POST rotates and shows the new secret once."""
    application, old = shop_a
    url = f"/admin/oauth2_provider/application/{application.pk}/rotate-secret/"

    asked = admin_client.get(url)
    application.refresh_from_db()
    assert asked.status_code == 200
    assert url in admin_client.get(change_url(application)).content.decode()
    assert check_password(old, application.client_secret)

    done = admin_client.post(url)

    assert done["Location"] == SECRETS_URL
    (secret,) = shown_secrets(admin_client.get(SECRETS_URL))
    application.refresh_from_db()
    assert check_password(secret, application.client_secret)


def test_rotating_a_public_client_is_refused_with_a_message(admin_client):
    """A public client has no secret: a clear error, no secret page."""
    application, _ = client_register(
        name="SPA",
        redirect_uris=["http://localhost:5173/cb"],
        post_logout_redirect_uris=[],
        public=True,
    )

    response = admin_client.post(
        ADD_URL, {"action": "rotate_secret", "_selected_action": [application.pk]}, follow=True
    )

    assert "is public: it has no secret" in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_SECRET_ROTATED).exists()


def test_the_secrets_page_is_closed_to_customers(browser, shop_a):
    """A signed-in customer gets no admin page."""
    response = browser.get(SECRETS_URL)

    assert response.status_code in (302, 403)
    assert "secrets" not in (response.context or {})


# Delete


def test_deleting_a_client_is_audited(admin_client, root, shop_a):
    """The delete confirmation deletes through the service, which records it."""
    application, _secret = shop_a

    response = admin_client.post(
        f"/admin/oauth2_provider/application/{application.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Application.objects.filter(pk=application.pk).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_UPDATED)
    assert event.actor == root
    assert event.data == {"client_id": application.client_id, "name": "Shop A", "deleted": True}
