"""Helpers of tests that look at what a change queued in the outbox."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

from events.models import Delivery


def queued_logout_uris() -> list[str]:
    """Return the back-channel logout URIs queued in the outbox, sorted."""
    return sorted(Delivery.objects.filter(kind=Delivery.Kind.LOGOUT).values_list("uri", flat=True))


@contextmanager
def no_http() -> Iterator[Callable[[], list[str]]]:
    """Fail when the code under test POSTs to a client itself; give ``queued_logout_uris``.

    Ending a session queues its logout tokens: only the ``deliver_events`` worker sends them.
    """
    with mock.patch("events.services.delivery.requests.post") as post:
        yield queued_logout_uris
    post.assert_not_called()
