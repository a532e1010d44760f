"""The identity server's own metrics: sign-ins, token grants, event deliveries.

Counters move on framework signals (docs/conventions.md: signals for events we do not own);
deliveries are counted from the outbox at scrape time. django-prometheus adds the request and
database metrics; stack_settings.metrics serves them all at ``/metrics``
(docs/operations.md, "Metrics").
"""

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Count
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from oauth2_provider.models import get_access_token_model
from prometheus_client import Counter

from accounts.services.throttle import RETRY_AFTER_ATTRIBUTE
from oidc import constants
from stack_settings.metrics import CountsCollector, metrics_view

SIGN_IN_OK, SIGN_IN_FAILED, SIGN_IN_LOCKED = "ok", "failed", "locked"

sign_ins = Counter(
    "idp_sign_ins_total",
    "Password sign-ins by result: ok, failed (wrong credentials), locked (refused by the "
    "sign-in throttle without checking the password).",
    ["result"],
)
token_grants = Counter(
    "idp_token_grants_total", "Access tokens issued, by grant type.", ["grant_type"]
)
# Every label value from the start, so a scrape lists 0 rather than nothing.
for _result in (SIGN_IN_OK, SIGN_IN_FAILED, SIGN_IN_LOCKED):
    sign_ins.labels(result=_result)
for _grant_type in constants.GRANT_TYPES_SUPPORTED:
    token_grants.labels(grant_type=_grant_type)


def on_user_logged_in(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Count a completed sign-in (after the second factor, if any)."""
    sign_ins.labels(result=SIGN_IN_OK).inc()


def on_user_login_failed(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Count a refused password: locked when the throttle refused to check it."""
    locked = getattr(request, RETRY_AFTER_ATTRIBUTE, None) is not None
    sign_ins.labels(result=SIGN_IN_LOCKED if locked else SIGN_IN_FAILED).inc()


def access_token_grant_type(token) -> str:
    """Return the grant that issued a new AccessToken.

    A refresh grant links the token to the refresh token it used; only the client
    credentials grant issues tokens without a user; the rest come from codes
    (oidc.constants.GRANT_TYPES_SUPPORTED are the only grants the token endpoint runs).
    """
    if token.source_refresh_token_id is not None:
        return constants.GRANT_REFRESH_TOKEN
    if token.user_id is None:
        return constants.GRANT_CLIENT_CREDENTIALS
    return constants.GRANT_AUTHORIZATION_CODE


def on_access_token_saved(sender, instance, created: bool = False, **kwargs) -> None:
    """Count an issued access token by its grant type.

    Not DOT's ``app_authorized``: DOT reads the new token back for it, a query per token
    request that oidc/views/token.py saves while nothing listens.
    """
    if created:
        token_grants.labels(grant_type=access_token_grant_type(instance)).inc()


def delivery_counts() -> dict[str, int]:
    """Return the outbox's deliveries by status (pending is the backlog)."""
    delivery = apps.get_model("events", "Delivery")
    rows = delivery.objects.order_by().values_list("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(delivery.Status.values, 0)
    counts.update(dict(rows))
    return counts


deliveries = CountsCollector(
    "idp_event_deliveries",
    "Event and back-channel logout deliveries by status: pending (the backlog), delivered, "
    "failed (gave up), cancelled.",
    label="status",
    counts=delivery_counts,
)


def metrics(request: HttpRequest) -> HttpResponse:
    """``/metrics``: every worker's counters and the outbox's deliveries."""
    return metrics_view(request, collectors=[deliveries])


def connect() -> None:
    """Connect the sign-in and token receivers; called once from MetricsConfig.ready()."""
    user_logged_in.connect(on_user_logged_in, dispatch_uid="metrics.user_logged_in")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="metrics.user_login_failed")
    post_save.connect(
        on_access_token_saved,
        sender=get_access_token_model(),
        dispatch_uid="metrics.access_token_saved",
    )
