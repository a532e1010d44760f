"""The client's address: X-Forwarded-For only from the proxies in TRUSTED_PROXIES."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from config.client_ip import client_ip, user_agent


def request_from(remote_addr: str, forwarded_for: str | None = None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    """Anyone can send the header: with no trusted proxy, only the peer counts."""
    settings.TRUSTED_PROXIES = []

    assert client_ip(request_from("203.0.113.7", "192.0.2.1")) == "203.0.113.7"


def test_rotating_x_forwarded_for_from_an_untrusted_peer_changes_nothing(settings):
    """A peer that is not a listed proxy gets the same address whatever header it sends."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    addresses = {client_ip(request_from("203.0.113.7", f"192.0.2.{n}")) for n in range(20)}

    assert addresses == {"203.0.113.7"}


def test_a_trusted_proxy_names_the_client(settings):
    """From a listed proxy, the address it appended is the client's."""
    settings.TRUSTED_PROXIES = ["10.0.0.2"]

    assert client_ip(request_from("10.0.0.2", "192.0.2.1")) == "192.0.2.1"


def test_a_spoofed_hop_before_the_proxy_is_ignored(settings):
    """The client's own X-Forwarded-For comes first; the proxy appends the real address."""
    settings.TRUSTED_PROXIES = ["10.0.0.2"]

    assert client_ip(request_from("10.0.0.2", "198.51.100.66, 192.0.2.1")) == "192.0.2.1"


def test_a_chain_of_trusted_proxies_is_walked_right_to_left(settings):
    """Two proxies (a network and an address): the first hop neither added is the client."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.5"]

    forwarded = "198.51.100.66, 192.0.2.1, 172.16.0.5"
    assert client_ip(request_from("10.1.2.3", forwarded)) == "192.0.2.1"


def test_a_trusted_proxy_without_the_header_is_the_client(settings):
    """A request the proxy made itself (a health check) keeps the proxy's address."""
    settings.TRUSTED_PROXIES = ["10.0.0.2"]

    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"


def test_a_garbage_hop_falls_back_to_the_peer(settings):
    """A hop that is not an address is never returned as one."""
    settings.TRUSTED_PROXIES = ["10.0.0.2"]

    assert client_ip(request_from("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_ipv6_hops_are_normalised(settings):
    """IPv6 proxies and clients work, in their compressed form."""
    settings.TRUSTED_PROXIES = ["fd00::/8"]

    assert client_ip(request_from("fd00::1", "2001:DB8:0:0::7")) == "2001:db8::7"


def test_no_request_and_no_peer_give_none():
    """Scripts have no request; a request without REMOTE_ADDR has no address."""
    assert client_ip(None) is None
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) is None


def test_a_malformed_trusted_proxy_is_a_configuration_error(settings):
    """A typo in TRUSTED_PROXIES fails loudly instead of trusting nothing (or everything)."""
    settings.TRUSTED_PROXIES = ["10.0.0.300"]

    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        client_ip(request_from("10.0.0.2", "192.0.2.1"))


def test_user_agent_is_cut_to_300_characters():
    """The audit log and the sessions page store at most 300 characters of it."""
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * 1000)

    assert user_agent(request) == "x" * 300
    assert user_agent(None) == ""
