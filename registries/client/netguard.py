"""SSRF guard: which network addresses the client may connect to.

Checked twice: on the URL's host when it is an IP literal (before sending), and on the peer
address of every new connection (after DNS, so rebinding cannot slip through). That covers
the registry, token realms, ``Link`` targets and redirects alike.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never: link-local (cloud metadata lives there) and well-known metadata addresses.
ALWAYS_DENIED = (
    ipaddress.ip_network("169.254.0.0/16"),  # IPv4 link-local, AWS/GCP/Azure metadata
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("224.0.0.0/4"),  # multicast
    ipaddress.ip_network("ff00::/8"),  # IPv6 multicast
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class DestinationRefused(Exception):
    """Raised from inside urllib3; not an OSError on purpose, so urllib3 does not wrap it."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(f"refused to connect to {address}")


def _unwrap(address: IPAddress) -> IPAddress:
    """IPv4 hidden in IPv6 (mapped, NAT64) is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64_PREFIX:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_allowed(address: str, *, deny_private: bool) -> bool:
    """Link-local and metadata never; private and loopback only without ``deny_private``."""
    try:
        ip = _unwrap(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return False
    if any(ip in net for net in ALWAYS_DENIED if net.version == ip.version):
        return False
    return ip.is_global or not deny_private


def check_host(host: str, *, deny_private: bool) -> None:
    """Refuse an IP-literal host up front; names are checked when connecting."""
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        return
    if not is_allowed(literal, deny_private=deny_private):
        raise DestinationRefused(literal)


def _check_socket(sock: socket.socket, *, deny_private: bool) -> socket.socket:
    address = sock.getpeername()[0]
    if not is_allowed(address, deny_private=deny_private):
        sock.close()
        raise DestinationRefused(address)
    return sock


@cache
def _pool_classes(deny_private: bool) -> dict[str, type[HTTPConnectionPool]]:
    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _check_socket(super()._new_conn(), deny_private=deny_private)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _check_socket(super()._new_conn(), deny_private=deny_private)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose every new connection is checked by :func:`is_allowed`."""

    __attrs__ = [*HTTPAdapter.__attrs__, "deny_private"]

    def __init__(self, *, deny_private: bool, pool_maxsize: int = 16) -> None:
        self.deny_private = deny_private
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.deny_private)
