"""Server records, their lifecycle on the sandbox clock, and their JSON shapes.

Lifecycle: a new server is ``pending`` for 5-15 s, then ``building``, and reaches
``running`` (or ``failed``, with the build-failure rate) 60-120 s after the order
(seeded RNG, sandbox time). Status is brought up to date lazily by :meth:`Server.refresh`,
which callers run under the state lock before reading or acting.

Billing (see billing.py): the server is paid up to ``paid_until``, the end of its current
30-day period (periods are anchored at creation); ``suspended_at`` is set while it is
suspended for an unpaid renewal, and ``resume_status`` is the status a reactivation restores.
"""

from __future__ import annotations

import math
import random
import secrets
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bridge.sandbox.catalog import Addon, Plan, find_template
from bridge.sandbox.clock import iso
from bridge.sandbox.money import cents, fmt

PERIOD = 30 * 86400.0  # one billing period ("month"), anchored at creation


def new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20))


@dataclass
class Server:
    id: str
    account_id: str
    plan: Plan
    label: str
    hostname: str
    os: str
    region: str
    created_at: float
    primary: dict[str, Any] | None
    status: str = "pending"
    building_at: float | None = None  # pending -> building at this time
    done_at: float | None = None  # building -> running/failed at this time
    will_fail: bool = False
    addons: list[Addon] = field(default_factory=list)
    extra_ips: list[dict[str, Any]] = field(default_factory=list)
    password: str = field(default_factory=new_password)
    prices: dict[str, Decimal] = field(default_factory=dict)  # addon id -> monthly price paid
    paid_until: float = field(init=False)  # end of the last paid period
    suspended_at: float | None = None  # suspended for non-payment at this time
    resume_status: str | None = None  # what a reactivation (or un-forcing) restores

    def __post_init__(self) -> None:
        self.paid_until = self.created_at + PERIOD  # the first month is paid at creation

    def refresh(self, now: float) -> None:
        """Apply the build transitions whose time has come."""
        if self.status == "pending" and self.building_at is not None and now >= self.building_at:
            self.status = "building"
        if self.status == "building" and self.done_at is not None and now >= self.done_at:
            self.status = "failed" if self.will_fail else "running"
            self.building_at = self.done_at = None

    def schedule_build(self, now: float, rng: random.Random, failure_rate: float, *,
                       pending: bool) -> None:  # fmt: skip
        """Plan the next build from ``now`` (``pending`` adds the queue phase)."""
        duration = rng.uniform(60.0, 120.0)
        self.status = "pending" if pending else "building"
        self.building_at = now + rng.uniform(5.0, 15.0) if pending else now
        self.done_at = now + duration
        self.will_fail = rng.random() < failure_rate

    @property
    def template(self):  # type: ignore[no-untyped-def]
        return find_template(self.os)

    @property
    def username(self) -> str:
        t = self.template
        return t.username if t else "root"

    def active_types(self) -> set[str]:
        return {a.type for a in self.addons}

    def ips(self) -> list[str]:
        own = [self.primary["ip"]] if self.primary else []
        return own + [e["ip"] for e in self.extra_ips]

    def renews_at(self, now: float) -> float:
        """End of the 30-day period ``now`` falls in (anchored at creation): the prorating
        base. Equal to ``paid_until`` while the server is paid up."""
        periods = math.floor(max(0.0, now - self.created_at) / PERIOD) + 1
        return self.created_at + periods * PERIOD

    def prorated(self, monthly: Decimal, now: float) -> Decimal:
        """monthly x ceil(days left in the current period) / 30, half-up to the cent."""
        days_left = math.ceil((self.renews_at(now) - now) / 86400.0)
        return cents(monthly * Decimal(min(30, max(1, days_left))) / Decimal(30))

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "hostname": self.hostname,
            "status": self.status,
            "ipAddress": self.primary["ip"] if self.primary else None,
            "os": self.os,
            "region": self.region,
            "productId": self.plan.id,
            "vcpu": self.plan.vcpu,
            "ramMb": self.plan.ram_mb,
            "diskGb": self.plan.disk_gb,
            "additionalIps": [dict(e) for e in self.extra_ips],
            "createdAt": iso(self.created_at),
        }

    def detail(self, now: float) -> dict[str, Any]:
        body = self.summary()
        body["networking"] = {
            "primaryIp": self.primary["ip"] if self.primary else None,
            "gateway": self.primary["gateway"] if self.primary else None,
            "additionalIps": [dict(e) for e in self.extra_ips],
        }
        body["specs"] = {
            "vcpu": self.plan.vcpu,
            "ramMb": self.plan.ram_mb,
            "ramGb": self.plan.ram_mb / 1024,
            "diskGb": self.plan.disk_gb,
            "bandwidthGb": self.plan.bandwidth_gb,
            "os": self.os,
            "region": self.region,
        }
        body["addons"] = [
            {"id": a.id, "name": a.name, "type": a.type, "monthlyPrice": fmt(self.prices[a.id])}
            for a in self.addons
        ]
        body["renewsAt"] = iso(self.paid_until)
        return body

    def credentials(self) -> dict[str, Any]:
        ip = self.primary["ip"] if self.primary else ""
        t = self.template
        if t is not None and t.windows:
            return {"username": self.username, "password": self.password, "ip": ip,
                    "port": 3389, "protocol": "rdp", "rdpAddress": f"{ip}:3389"}  # fmt: skip
        return {"username": self.username, "password": self.password, "ip": ip, "port": 22,
                "protocol": "ssh"}  # fmt: skip

    def stats(self, now: float, rng: random.Random) -> dict[str, Any]:
        """powerState follows status; live metrics only while running."""
        if self.status == "running":
            total = self.plan.ram_mb
            live = {
                "cpuPercent": round(rng.uniform(1, 60), 1),
                "memoryUsedMb": int(total * rng.uniform(0.15, 0.7)),
                "memoryTotalMb": total,
                "diskReadKBps": round(rng.uniform(0, 900), 1),
                "diskWriteKBps": round(rng.uniform(0, 600), 1),
                "netRxKBps": round(rng.uniform(0, 400), 1),
                "netTxKBps": round(rng.uniform(0, 300), 1),
                "sampledAt": iso(now),
            }
            return {"powerState": "POWERED_ON", "live": live}
        if self.status == "building":
            return {"powerState": "POWERED_ON", "live": None}
        if self.status == "suspended":
            return {"powerState": "SUSPENDED", "live": None}
        return {"powerState": "POWERED_OFF", "live": None}
