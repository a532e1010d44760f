"""End the IdP sessions past their idle timeout or absolute lifetime (run it periodically)."""

from typing import Any

from django.core.management.base import BaseCommand

from oidc.services.sessions import idp_sessions_expire


class Command(BaseCommand):
    """``end_expired_sessions``: the sweeper for browsers that never came back.

    The timeout middleware signs a browser out at its next request; a browser that makes
    none leaves its IdP session open, and its shops' sessions with it. This ends those
    sessions and sends the shops their back-channel logout tokens. Safe to run at any time
    and as often as wanted: a second run finds nothing left to end.
    """

    help = "End idle and expired IdP sessions and tell their shops (back-channel logout)."

    def handle(self, *args: Any, **options: Any) -> None:
        """End what expired and print how many sessions ended."""
        ended = idp_sessions_expire()
        self.stdout.write(f"Ended {ended} expired session{'' if ended == 1 else 's'}.")
