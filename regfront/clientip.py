"""The client's IP address, and parsing of IP allow-lists. No Django settings at import."""

import ipaddress
from collections.abc import Iterable

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(meta: dict, *, behind_proxy: bool) -> str:
    """REMOTE_ADDR, or behind a load balancer the address it appended to X-Forwarded-For.

    Only the right-most entry is trusted: it is the one our own proxy added; anything to its
    left came from the client and can be forged.
    """
    if behind_proxy:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return meta.get("REMOTE_ADDR", "") or ""


def parse_networks(items: Iterable[str]) -> list[Network]:
    """Parse addresses and CIDR networks; raise ValueError naming the first bad entry."""
    networks = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network") from exc
    return networks


def ip_allowed(ip: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
