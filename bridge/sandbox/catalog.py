"""The sandbox's fixed catalogue: regions, OS templates, plans and their add-ons.

List prices live here; what a given account pays (wholesale for reseller partners) is
computed by :func:`price_for`. OS ids are dotted (``ubuntu-24.04``); dotless spellings
(``ubuntu-2404``) are accepted on input by :func:`find_template`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bridge.sandbox.money import cents


@dataclass(frozen=True)
class Region:
    slug: str
    name: str


@dataclass(frozen=True)
class OsTemplate:
    id: str
    family: str
    label: str
    username: str  # the login user credentials report

    @property
    def windows(self) -> bool:
        return self.family == "windows"


@dataclass(frozen=True)
class Addon:
    id: str
    name: str
    type: str  # extra-ip | ip-class | backup
    monthly_price: Decimal
    ip_count: int = 0  # extra-ip: addresses added; ip-class: a /25 (128)


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    vcpu: int
    ram_mb: int
    disk_gb: int
    bandwidth_gb: int
    monthly_price: Decimal
    regions: tuple[str, ...]
    addons: tuple[Addon, ...]

    def addon(self, addon_id: str) -> Addon | None:
        return next((a for a in self.addons if a.id == addon_id), None)


REGIONS = (
    Region("tr-ist-01", "Istanbul"),
    Region("de-fra-01", "Frankfurt"),
    Region("nl-ams-01", "Amsterdam"),
    Region("us-nyc-01", "New York"),
)
REGION_SLUGS = {r.slug for r in REGIONS}

OS_TEMPLATES = (
    OsTemplate("ubuntu-24.04", "ubuntu", "Ubuntu 24.04 LTS", "root"),
    OsTemplate("ubuntu-22.04", "ubuntu", "Ubuntu 22.04 LTS", "root"),
    OsTemplate("debian-12", "debian", "Debian 12", "root"),
    OsTemplate("rocky-10.1", "rocky", "Rocky Linux 10.1", "root"),
    OsTemplate("almalinux-10.1", "almalinux", "AlmaLinux 10.1", "root"),
    OsTemplate("windows-2022", "windows", "Windows Server 2022", "Administrator"),
    OsTemplate("windows-2025", "windows", "Windows Server 2025", "Administrator"),
    # Windows 11 disables the built-in Administrator; Otwa creates this user instead.
    OsTemplate("windows-11-pro", "windows", "Windows 11 Pro", "OtwaCloud"),
)
_BY_ID = {t.id: t for t in OS_TEMPLATES}
_BY_DOTLESS = {t.id.replace(".", ""): t for t in OS_TEMPLATES}
FAMILIES = {t.family for t in OS_TEMPLATES}


def find_template(value: str) -> OsTemplate | None:
    """The template for a dotted id or its deprecated dotless spelling, else None."""
    return _BY_ID.get(value) or _BY_DOTLESS.get(value.replace(".", ""))


def _d(text: str) -> Decimal:
    return Decimal(text)


PLANS = (
    Plan(
        "6f1c1a52-3d0e-4f5a-9a57-0c1e2b7d5a01",
        "Starter",
        1,
        2048,
        25,
        1000,
        _d("5.99"),
        ("tr-ist-01", "de-fra-01"),
        (
            Addon("st1ip001", "1 Additional IPv4", "extra-ip", _d("2.00"), 1),
            Addon("st1bk001", "Daily backups", "backup", _d("1.50")),
        ),
    ),
    Plan(
        "8a2d4b63-4e1f-4a6b-8b68-1d2f3c8e6b02",
        "Standard",
        2,
        4096,
        50,
        2000,
        _d("9.99"),
        ("tr-ist-01", "de-fra-01", "nl-ams-01"),
        (
            Addon("sd2ip001", "1 Additional IPv4", "extra-ip", _d("2.00"), 1),
            Addon("vpk7wjf5", "8 Additional IPs", "extra-ip", _d("12.00"), 8),
            Addon("sd2ipc25", "IPv4 /25 block", "ip-class", _d("60.00"), 128),
            Addon("sd2bk001", "Daily backups", "backup", _d("2.50")),
        ),
    ),
    Plan(
        "9b3e5c74-5f20-4b7c-9c79-2e303d9f7c03",
        "Pro",
        4,
        8192,
        100,
        4000,
        _d("24.99"),
        ("de-fra-01", "nl-ams-01", "us-nyc-01"),
        (
            Addon("pr4ip001", "1 Additional IPv4", "extra-ip", _d("2.00"), 1),
            Addon("pr4ipc25", "IPv4 /25 block", "ip-class", _d("55.00"), 128),
            Addon("pr4bkday", "Daily backups", "backup", _d("5.00")),
            Addon("pr4bkwk1", "Weekly backups", "backup", _d("2.00")),
        ),
    ),
    Plan(
        "ac4f6d85-6031-4c8d-8d8a-3f414ea08d04",
        "Windows Standard",
        4,
        8192,
        120,
        3000,
        _d("34.99"),
        ("tr-ist-01", "us-nyc-01"),
        (
            Addon("ws4ip001", "1 Additional IPv4", "extra-ip", _d("2.00"), 1),
            Addon("ws4bk001", "Daily backups", "backup", _d("4.00")),
        ),
    ),
)
_PLANS = {p.id: p for p in PLANS}


def find_plan(plan_id: str) -> Plan | None:
    return _PLANS.get(plan_id)


def price_for(list_price: Decimal, margin_percent: Decimal) -> Decimal:
    """What an account pays: list x (1 - margin/100), half-up to the cent (margin 0 = list)."""
    return cents(list_price * (Decimal(100) - margin_percent) / Decimal(100))
