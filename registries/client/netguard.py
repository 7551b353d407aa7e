"""SSRF guard: which network addresses the client may connect to.

Checked before any packet leaves: the URL's host when it is an IP literal (before sending),
and for every new connection each address its name resolves to, after which the socket
connects to a checked address, with no second lookup (so DNS rebinding cannot slip
through, and a refused address never sees a handshake: open and closed ports look alike).
That covers the registry, token realms, ``Link`` targets and redirects alike.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from functools import cache

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

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


def _checked_addresses(host: str, port: int, *, deny_private: bool) -> list[str]:
    """Every address `host` resolves to, refused as a whole when any of them is refused."""
    family = allowed_gai_family()
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not is_allowed(address, deny_private=deny_private):
            raise DestinationRefused(address)
    return addresses


def _guarded_new_conn(
    connection: HTTPConnection, connect: Callable[[], socket.socket], *, deny_private: bool
) -> socket.socket:
    """Resolve, check, then connect to a checked address (TLS and Host still use the name).

    urllib3 connects to ``_dns_host``; pointing it at one checked address at a time while
    its own ``_new_conn`` runs keeps urllib3's socket options, timeouts and error mapping.
    """
    name = connection._dns_host
    try:
        addresses = _checked_addresses(name, connection.port, deny_private=deny_private)
    except socket.gaierror as exc:
        raise NameResolutionError(connection.host, connection, exc) from exc
    failure: Exception | None = None
    for address in addresses:
        connection._dns_host = address
        try:
            return connect()
        except (NewConnectionError, ConnectTimeoutError) as exc:
            failure = exc
        finally:
            connection._dns_host = name
    raise failure or NewConnectionError(connection, f"{name} resolves to no address")


@cache
def _pool_classes(deny_private: bool) -> dict[str, type[HTTPConnectionPool]]:
    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _guarded_new_conn(self, super()._new_conn, deny_private=deny_private)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _guarded_new_conn(self, super()._new_conn, deny_private=deny_private)

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
