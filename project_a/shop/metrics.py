"""The shop's own metrics: shadow users (docs/operations.md, "Metrics").

django-prometheus adds the request and database metrics; stack_settings.metrics serves them
all at ``/metrics``.
"""

from django.apps import apps
from django.db.models import Count
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter

from sso_client.conf import sso_settings
from stack_settings.metrics import CountsCollector, metrics_view

shadow_users_created = Counter(
    "shop_shadow_users_created_total",
    "Shadow users created here: identities signing in at this shop for the first time, or "
    "existing local users linked to their identity.",
)


def on_identity_link_saved(sender, instance, created: bool = False, **kwargs) -> None:
    """Count a new link of a local user to an identity of the provider."""
    if created:
        shadow_users_created.inc()


def identity_link_counts() -> dict[str, int]:
    """Return the number of linked shadow users by issuer, the configured one listed at 0."""
    link = apps.get_model("sso_client", "IdentityLink")
    rows = link.objects.order_by().values_list("issuer").annotate(n=Count("pk"))
    return {sso_settings.ISSUER: 0, **dict(rows)}


identity_links = CountsCollector(
    "shop_identity_links",
    "Shadow users linked to an identity of the provider, by issuer.",
    label="issuer",
    counts=identity_link_counts,
)


def metrics(request: HttpRequest) -> HttpResponse:
    """``/metrics``: every worker's counters and the shadow users' links."""
    return metrics_view(request, collectors=[identity_links])


def connect() -> None:
    """Connect the receiver of the counter above; called once from ShopConfig.ready()."""
    post_save.connect(
        on_identity_link_saved,
        sender=apps.get_model("sso_client", "IdentityLink"),
        dispatch_uid="shop.metrics.identity_link_saved",
    )
