"""Who is on the other end of a request: the client's IP address, trusting proxies only when configured.

``X-Forwarded-For`` is a header anyone can send. It is believed only when the direct peer (the TCP
connection's address) is one of ``<PREFIX>TRUSTED_PROXIES`` (addresses or CIDR networks: the TLS-
terminating proxy in front of the gateway; the gateway itself in front of a service). Then the client is
the right-most address in the header that is not itself a trusted proxy; otherwise it is the peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item.strip())


def is_trusted(address: str | None, trusted: Iterable[str]) -> bool:
    """Whether ``address`` lies in one of the ``trusted`` networks (a malformed address never does)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks(tuple(trusted)))


def peer(request: HTTPConnection) -> str:
    """The direct peer's address (the TCP connection's other end)."""
    return request.client.host if request.client else "unknown"


def client_ip(request: HTTPConnection, trusted: Iterable[str]) -> str:
    """The client's address: from ``X-Forwarded-For`` when the peer is a trusted proxy, else the peer."""
    trusted = tuple(trusted)
    direct = peer(request)
    if not is_trusted(direct, trusted):
        return direct
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return direct  # a garbled header from a proxy we trust: count it against the proxy
    return direct
