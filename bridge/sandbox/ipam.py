"""IPv4 pool per region (addresses from 198.18.0.0/15, the benchmarking range).

Region *i* hands single addresses (primary and extra-ip) from 198.18.(16i+k).10-250/24,
gateway .1, and routed /25 blocks (ip-class) from 198.19.(32i+k).0/25 and .128/25.
Released addresses go back to the pool.
"""

from __future__ import annotations

from typing import Any

from bridge.sandbox.catalog import REGIONS

_INDEX = {r.slug: i for i, r in enumerate(REGIONS)}


class IpPool:
    """Allocates and releases addresses; callers hold the state lock."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def single(self, region: str, kind: str) -> dict[str, Any]:
        """One address with its /24 gateway, netmask and cidr."""
        base = _INDEX[region] * 16
        for k in range(16):
            net = f"198.18.{base + k}"
            for host in range(10, 251):
                ip = f"{net}.{host}"
                if ip not in self.used:
                    self.used.add(ip)
                    return _entry(ip, f"{net}.1", "255.255.255.0", f"{net}.0/24", kind, region)
        raise RuntimeError(f"IP pool of {region} exhausted")

    def block(self, region: str, gateway: str) -> list[dict[str, Any]]:
        """A routed /25 (128 addresses), routed via the server's primary gateway."""
        base = _INDEX[region] * 32
        for k in range(32):
            for start in (0, 128):
                ips = [f"198.19.{base + k}.{start + h}" for h in range(128)]
                if ips[0] not in self.used:
                    self.used.update(ips)
                    cidr = f"198.19.{base + k}.{start}/25"
                    return [
                        _entry(ip, gateway, "255.255.255.128", cidr, "ip-class", region)
                        for ip in ips
                    ]
        raise RuntimeError(f"/25 pool of {region} exhausted")

    def release(self, ips: list[str]) -> None:
        self.used.difference_update(ips)


def _entry(
    ip: str, gateway: str, netmask: str, cidr: str, kind: str, region: str
) -> dict[str, str]:
    return {"ip": ip, "gateway": gateway, "netmask": netmask, "cidr": cidr, "type": kind,
            "region": region}  # fmt: skip
