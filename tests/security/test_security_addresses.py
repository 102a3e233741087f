"""Address classification (IPv4 and every IPv6 form of an IPv4 address) and URL allow-list rules."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from model_runner.security import AddressKind, UrlAllowList, UrlRule, classify, resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", AddressKind.METADATA),
        ("169.254.170.2", AddressKind.METADATA),  # ECS container credentials
        ("fd00:ec2::254", AddressKind.METADATA),  # EC2 metadata over IPv6
        ("fe80::1", AddressKind.METADATA),
        ("::ffff:169.254.169.254", AddressKind.METADATA),  # IPv4-mapped
        ("::a9fe:a9fe", AddressKind.METADATA),  # IPv4-compatible
        ("64:ff9b::a9fe:a9fe", AddressKind.METADATA),  # NAT64
        ("2002:a9fe:a9fe::1", AddressKind.METADATA),  # 6to4
        ("100.100.100.200", AddressKind.METADATA),
        ("127.0.0.1", AddressKind.LOOPBACK),
        ("127.8.9.10", AddressKind.LOOPBACK),
        ("::1", AddressKind.LOOPBACK),
        ("::ffff:127.0.0.1", AddressKind.LOOPBACK),
        ("0.0.0.0", AddressKind.LOOPBACK),
        ("::", AddressKind.LOOPBACK),
        ("224.0.0.1", AddressKind.RESERVED),
        ("255.255.255.255", AddressKind.RESERVED),
        ("240.0.0.1", AddressKind.RESERVED),
        ("10.1.2.3", AddressKind.ROUTABLE),
        ("52.94.1.1", AddressKind.ROUTABLE),
        ("2600:1f18::1", AddressKind.ROUTABLE),
    ],
)
def test_every_form_of_a_metadata_address_is_recognised(address: str, kind: AddressKind) -> None:
    assert classify(ipaddress.ip_address(address)) is kind


@pytest.mark.parametrize("written", ["169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376"])
def test_resolution_reads_every_spelling_of_an_address_as_the_connection_would(written: str) -> None:
    assert resolve(written, 80, 2.0) == [ipaddress.ip_address("169.254.169.254")]


@pytest.mark.parametrize(
    ("entry", "url", "matches"),
    [
        ("models.example.com", "https://models.example.com/invocations", True),
        ("models.example.com", "http://MODELS.example.com./invocations", True),
        ("models.example.com", "https://models.example.com.evil.net/invocations", False),
        ("models.example.com", "https://evil.net/models.example.com", False),
        ("models.example.com:8080", "http://models.example.com:8080/x", True),
        ("models.example.com:8080", "http://models.example.com/x", False),
        ("https://models.example.com/detect", "https://models.example.com/detect/v1", True),
        ("https://models.example.com/detect", "https://models.example.com/detect", True),
        ("https://models.example.com/detect", "https://models.example.com/detector", False),
        ("https://models.example.com/detect", "http://models.example.com/detect", False),
        ("https://models.example.com", "https://models.example.com:443/a", True),
        ("https://models.example.com", "https://models.example.com:8443/a", False),
        ("[::1]:8080", "http://[::1]:8080/invocations", True),
    ],
)
def test_allow_list_rules_match_parsed_parts_not_text(entry: str, url: str, matches: bool) -> None:
    assert (UrlAllowList([entry]).match(urlsplit(url)) is not None) is matches


@pytest.mark.parametrize(
    "entry", ["", "https://", "ftp://host/", "user:pass@host", "https://u:p@host/", "host/path", "host:99999"]
)
def test_malformed_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        UrlRule.parse(entry)


def test_an_empty_allow_list_allows_nothing() -> None:
    assert UrlAllowList([]).match(urlsplit("https://anything/")) is None
