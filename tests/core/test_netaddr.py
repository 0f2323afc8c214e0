"""core.netaddr.client_ip: the one rule for the client address of throttles, logs and the audit."""

import pytest
from django.test import RequestFactory

from core.netaddr import client_ip


def request(remote="198.51.100.7", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize("forwarded", ["203.0.113.9", "203.0.113.9, 10.0.0.1", "x" * 5000, "not-an-ip"])
def test_by_default_the_forwarded_header_is_ignored(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, []
    assert client_ip(request(forwarded=forwarded)) == "198.51.100.7"


def test_one_trusted_proxy_takes_the_entry_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged the first entry; the proxy appended the address it saw.
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "", "garbage", " , "])
def test_a_trusted_proxy_without_a_usable_header_falls_back_to_remote_addr(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("10.0.0.2", forwarded)) == "10.0.0.2"


def test_trusted_networks_are_skipped_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.1.1.1")) == "203.0.113.9"


def test_a_request_from_outside_the_trusted_networks_is_its_own_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_a_garbled_hop_stops_the_walk(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("10.0.0.2", "203.0.113.9, bogus")) == "10.0.0.2"


def test_ipv6_is_normalised(settings):
    assert client_ip(request("2001:DB8:0:0::1")) == "2001:db8::1"


def test_a_remote_addr_that_is_no_address_gives_empty(settings):
    assert client_ip(request("unix-socket")) == ""
