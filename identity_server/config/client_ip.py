"""The client's address: REMOTE_ADDR, or X-Forwarded-For when a trusted proxy set it."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest | None) -> str | None:
    """Return the address of the client that sent ``request``.

    X-Forwarded-For is read right to left and only while each hop is a proxy listed in
    ``settings.TRUSTED_PROXIES``: the first address a trusted proxy did not add is the
    client's. With no trusted proxy, the header is ignored (anyone can send it).
    """
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    if not settings.TRUSTED_PROXIES or not _is_trusted(address):
        return address or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    while hops and _is_trusted(address):
        address = hops.pop()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest | None) -> str:
    """Return the User-Agent header, cut to what the audit log and sessions page store."""
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:300]
