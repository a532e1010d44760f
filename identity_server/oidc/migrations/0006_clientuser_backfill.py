"""Backfill ClientUser: every client that took part in a user's IdP session knows the user.

The scopes are those of the client's latest access token for the user, else of the user's
consent, else ``openid`` (the clients hear of the account's status, not of its claims).
"""

from django.conf import settings
from django.db import migrations

BATCH_SIZE = 1000


def backfill(apps, schema_editor) -> None:
    SessionClient = apps.get_model("oidc", "SessionClient")
    ClientUser = apps.get_model("oidc", "ClientUser")
    Consent = apps.get_model("oidc", "Consent")
    app_label, model_name = settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL.split(".")
    AccessToken = apps.get_model(app_label, model_name)
    pairs = (
        SessionClient.objects.values_list("application_id", "session__user_id")
        .distinct()
        .order_by("application_id", "session__user_id")
    )
    batch = []
    for application_id, user_id in pairs.iterator(chunk_size=BATCH_SIZE):
        token = (
            AccessToken.objects.filter(application_id=application_id, user_id=user_id)
            .order_by("-id")
            .values_list("scope", flat=True)
            .first()
        )
        consent = Consent.objects.filter(
            application_id=application_id, user_id=user_id
        ).values_list("scopes", flat=True)
        scopes = token or next(iter(consent), None) or "openid"
        batch.append(ClientUser(application_id=application_id, user_id=user_id, scopes=scopes))
        if len(batch) >= BATCH_SIZE:
            ClientUser.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    ClientUser.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("oidc", "0005_clientoptions_events_uri_clientuser"),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
