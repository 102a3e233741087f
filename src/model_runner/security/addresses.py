"""Which network addresses the worker may connect to, decided on the addresses a name resolves to.

Link-local addresses (169.254.0.0/16, fe80::/10) hold the instance metadata and container
credential services (169.254.169.254, 169.254.170.2, fd00:ec2::254 on AWS): they are refused
always, as are multicast, broadcast and reserved ones. Loopback ("this host") is refused unless the
caller allows it. IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are
judged by that IPv4 address.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "169.254.0.0/16",  # link-local: EC2 instance metadata, ECS credentials, time sync, DNS
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::/32",  # EC2 instance metadata and services over IPv6
        "100.100.100.200/32",  # other clouds' metadata services
        "192.0.0.192/32",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class AddressKind(enum.Enum):
    """What an address reaches, as far as the worker's policy is concerned."""

    ROUTABLE = "routable"
    LOOPBACK = "loopback"
    METADATA = "link-local or instance metadata"
    RESERVED = "multicast, broadcast or reserved"


def classify(address: IpAddress) -> AddressKind:
    """The kind of ``address`` (IPv6 forms of an IPv4 address are judged by the IPv4 address)."""
    address = _embedded_ipv4(address) or address
    if any(address in network for network in METADATA_NETWORKS if network.version == address.version):
        return AddressKind.METADATA
    if (
        address.is_loopback
        or address.is_unspecified
        or (address.version == 4 and address in ipaddress.ip_network("0.0.0.0/8"))
    ):
        return AddressKind.LOOPBACK
    if address.is_link_local:
        return AddressKind.METADATA
    if (
        address.is_multicast
        or address.is_reserved
        or (address.version == 4 and address == ipaddress.IPv4Address("255.255.255.255"))
    ):
        return AddressKind.RESERVED
    return AddressKind.ROUTABLE


def _embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    if address.version == 4:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class ResolutionError(Exception):
    """The host name could not be resolved (unknown, or the resolver did not answer in time)."""


_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolver")


def resolve(host: str, port: int, timeout_s: float) -> list[IpAddress]:
    """Every address ``host`` resolves to (IP literals in any form GDAL or curl accept included),
    in the resolver's order, within ``timeout_s``.

    Raises:
        ResolutionError: no address, or no answer within ``timeout_s``.
    """
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        answers = future.result(timeout=timeout_s)
    except FutureTimeout:
        raise ResolutionError(f"the name server did not answer within {timeout_s:g} s") from None
    except (OSError, UnicodeError) as error:
        raise ResolutionError("the name does not resolve") from error
    addresses: list[IpAddress] = []
    for _, _, _, _, socket_address in answers:
        address = ipaddress.ip_address(str(socket_address[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ResolutionError("the name does not resolve")
    return addresses
