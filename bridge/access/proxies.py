"""Which reverse proxies are believed: ``TRUSTED_PROXIES`` (addresses or networks).

Only a request whose peer address (the TCP connection's, ``REMOTE_ADDR``) is a trusted
proxy may tell the client's address (``X-Forwarded-For``), that the client used HTTPS
(``X-Forwarded-Proto``) or, with ``ADMIN_PROXY_USER_HEADER``, who signed in at the
proxy. From anyone else those headers are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def networks(setting: str) -> tuple[Network, ...]:
    """The networks of a ``TRUSTED_PROXIES`` value (validated by the settings)."""
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip()
    )


def trusted(address: str | None, proxies: Sequence[Network]) -> bool:
    """True when ``address`` lies in one of ``proxies``."""
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(
    remote: str | None, forwarded_for: str | None, proxies: Sequence[Network]
) -> str:
    """The client's address: the peer's, or, behind trusted proxies, the right-most
    ``X-Forwarded-For`` entry that is not itself a trusted proxy."""
    address = remote or "unknown"
    if not trusted(remote, proxies) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a garbled chain: believe only the peer
        if not trusted(hop, proxies):
            return hop
        address = hop
    return address


def is_https(
    scheme: str, remote: str | None, forwarded_proto: str | None, proxies: Sequence[Network]
) -> bool:
    """True when the client reached us over TLS: our own TLS, or a trusted proxy's word."""
    if scheme == "https":
        return True
    if forwarded_proto and trusted(remote, proxies):
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return False
