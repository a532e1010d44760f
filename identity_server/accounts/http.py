"""Small helpers of the account views."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

NEXT_FIELD = "next"


def safe_next(request: HttpRequest) -> str:
    """Return the ``next`` URL if it stays on this site, else ""; never an open redirect."""
    candidate = request.POST.get(NEXT_FIELD) or request.GET.get(NEXT_FIELD) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""
