"""What the Otwa API returns, as small dataclasses built with ``from_dict``.

Contract: money is :class:`decimal.Decimal` (Otwa sends two-decimal strings; a plain
JSON number is tolerated and converted through ``str`` so no float error creeps in);
field names are snake_case; fields Otwa may omit are ``None`` or empty; the parsed JSON
object is kept untouched in ``.raw`` for anything not modelled. Parsing is lenient about
shapes the public record leaves open (e.g. an add-on's ``active`` or ``attached``).
Secret-bearing fields (passwords, SSO URLs) are left out of ``repr`` and registered for
log redaction when parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bridge.logs import register_secret

__all__ = [
    "Account",
    "Reseller",
    "Tier",
    "ProductAddon",
    "Product",
    "Region",
    "OsTemplate",
    "IpEntry",
    "Server",
    "Credentials",
    "LiveStats",
    "Stats",
    "AddonOffer",
    "AddonPurchase",
    "SsoLink",
    "AffiliateRule",
    "money",
]


def money(value: Any) -> Decimal | None:
    """A decimal string or number -> Decimal (None stays None; garbage -> None)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _dt(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class Account:
    """``GET /account``: the account owning the key."""

    id: str
    email: str | None
    balance: Decimal | None
    first_name: str | None = None
    last_name: str | None = None
    tier: str | None = None
    created_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Account:
        return cls(
            id=str(d.get("id", "")),
            email=_str(d.get("email")),
            balance=money(d.get("balance")),
            first_name=_str(d.get("firstName")),
            last_name=_str(d.get("lastName")),
            tier=_str(d.get("tier")),
            created_at=_dt(d.get("createdAt")),
            raw=d,
        )


@dataclass
class Tier:
    """A reseller tier: its name, the 30-day volume it needs and its discount (percent)."""

    name: str
    gmv_required: Decimal | None
    discount_pct: Decimal | None
    gmv_remaining: Decimal | None = None  # only on ``next_tier``: what is still missing

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tier:
        return cls(
            name=str(d.get("name", "")),
            gmv_required=money(d.get("gmvRequired", d.get("min30dGmv"))),
            discount_pct=money(d.get("discountPct")),
            gmv_remaining=money(d.get("gmvRemaining")),
        )


@dataclass
class Reseller:
    """``GET /reseller``: partner status, brand and margin, and the tier programme (the
    discount in force, the rolling 30-day volume, the next tier and what it needs). Money
    and percentages may come as strings or plain numbers."""

    partner: bool
    brand_slug: str | None
    brand_name: str | None
    margin_percent: Decimal | None
    discount_pct: Decimal | None = None
    tier_name: str | None = None
    gmv_30d: Decimal | None = None
    next_tier: Tier | None = None
    tiers: list[Tier] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reseller:
        partner = d.get("partner", d.get("enabled", False))
        nxt = d.get("nextTier")
        return cls(
            partner=bool(partner),
            brand_slug=_str(d.get("brandSlug")),
            brand_name=_str(d.get("brandName")),
            margin_percent=money(d.get("marginPercent", d.get("discountPct"))),
            discount_pct=money(d.get("discountPct", d.get("marginPercent"))),
            tier_name=_str(d.get("tierName")),
            gmv_30d=money(d.get("gmv30d")),
            next_tier=Tier.from_dict(nxt) if isinstance(nxt, dict) else None,
            tiers=[Tier.from_dict(t) for t in d.get("tiers") or [] if isinstance(t, dict)],
            raw=d,
        )


@dataclass
class ProductAddon:
    """One add-on a product offers (``GET /products`` ``addons[]``)."""

    id: str
    name: str
    type: str | None
    monthly_price: Decimal | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProductAddon:
        return cls(
            id=str(d.get("id", "")),
            name=str(d.get("name", "")),
            type=_str(d.get("type")),
            monthly_price=money(d.get("monthlyPrice")),
            raw=d,
        )


@dataclass
class Product:
    """A server plan; ``monthly_price`` is wholesale for reseller keys."""

    id: str
    name: str
    vcpu: int | None
    ram_mb: int | None
    disk_gb: int | None
    monthly_price: Decimal | None
    regions: list[str] = field(default_factory=list)
    addons: list[ProductAddon] = field(default_factory=list)
    bandwidth_gb: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Product:
        regions = d.get("regions")
        if not isinstance(regions, list):
            regions = [d["region"]] if d.get("region") else []  # v1.0 single display name
        return cls(
            id=str(d.get("id", "")),
            name=str(d.get("name", "")),
            vcpu=_int(d.get("vcpu")),
            ram_mb=_int(d.get("ramMb")),
            disk_gb=_int(d.get("diskGb")),
            monthly_price=money(d.get("monthlyPrice")),
            regions=[str(r) for r in regions],
            addons=[
                ProductAddon.from_dict(a) for a in d.get("addons") or [] if isinstance(a, dict)
            ],
            bandwidth_gb=_int(d.get("bandwidthGb")),
            raw=d,
        )


@dataclass
class Region:
    """A deployment region; ``slug`` is what ``create_server(region=...)`` takes."""

    slug: str
    name: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Region:
        return cls(slug=str(d.get("slug", "")), name=str(d.get("name", "")), raw=d)


@dataclass
class OsTemplate:
    """An OS template; ``id`` is the dotted slug to pass as ``os``/``os_template``."""

    id: str
    family: str | None
    label: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OsTemplate:
        return cls(
            id=str(d.get("id", "")),
            family=_str(d.get("family")),
            label=_str(d.get("label")),
            raw=d,
        )


@dataclass
class IpEntry:
    """An additional IP of a server."""

    ip: str
    gateway: str | None = None
    netmask: str | None = None
    cidr: str | None = None
    region: str | None = None
    type: str | None = None  # the add-on type that brought it: extra-ip | ip-class

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IpEntry:
        return cls(
            ip=str(d.get("ip", "")),
            gateway=_str(d.get("gateway")),
            netmask=_str(d.get("netmask")),
            cidr=_str(d.get("cidr")),
            region=_str(d.get("region")),
            type=_str(d.get("type")),
        )


@dataclass
class Server:
    """A server (summary from ``GET /servers`` or detail from ``GET /servers/:id``).

    ``replayed`` is True when Otwa answered from its idempotency cache
    (``Idempotent-Replayed: true``): the server was created by an earlier attempt.
    """

    id: str
    label: str | None
    status: str | None
    ip_address: str | None = None
    os: str | None = None
    region: str | None = None
    product_id: str | None = None
    hostname: str | None = None
    additional_ips: list[IpEntry] = field(default_factory=list)
    created_at: datetime | None = None
    vcpu: int | None = None
    ram_mb: int | None = None
    disk_gb: int | None = None
    addons: list[ProductAddon] = field(default_factory=list)  # attached (detail only)
    renews_at: datetime | None = None  # end of the current billing period (detail only)
    replayed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, replayed: bool = False) -> Server:
        networking = _dict(d.get("networking"))
        specs = _dict(d.get("specs"))
        ips = d.get("additionalIps")
        if not isinstance(ips, list):
            ips = networking.get("additionalIps") or []
        return cls(
            id=str(d.get("id", "")),
            label=_str(d.get("label")),
            status=_str(d.get("status")),
            ip_address=_str(d.get("ipAddress") or networking.get("primaryIp")),
            os=_str(d.get("os") or specs.get("os")),
            region=_str(d.get("region") or specs.get("region")),
            product_id=_str(d.get("productId")),
            hostname=_str(d.get("hostname")),
            additional_ips=[IpEntry.from_dict(i) for i in ips if isinstance(i, dict)],
            created_at=_dt(d.get("createdAt")),
            vcpu=_int(d.get("vcpu", specs.get("vcpu"))),
            ram_mb=_int(d.get("ramMb", specs.get("ramMb"))),
            disk_gb=_int(d.get("diskGb", specs.get("diskGb"))),
            addons=[
                ProductAddon.from_dict(a) for a in d.get("addons") or [] if isinstance(a, dict)
            ],
            renews_at=_dt(d.get("renewsAt")),
            replayed=replayed,
            raw=d,
        )


@dataclass
class Credentials:
    """Login details. ``password`` is secret: kept out of ``repr`` and registered for redaction.

    From ``reset_password`` only ``username`` and ``password`` may be set.
    """

    username: str | None
    password: str = field(repr=False)
    ip: str | None = None
    port: int | None = None
    rdp_address: str | None = None
    protocol: str | None = None  # ssh | rdp
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Credentials:
        password = str(d.get("password") or "")
        register_secret(password, transient=True)
        return cls(
            username=_str(d.get("username")),
            password=password,
            ip=_str(d.get("ip")),
            port=_int(d.get("port")),
            rdp_address=_str(d.get("rdpAddress")),
            protocol=_str(d.get("protocol")),
            raw=d,
        )


@dataclass
class LiveStats:
    """Live guest metrics (present only while the guest agent reports)."""

    cpu_percent: float | None = None
    memory_used_mb: float | None = None
    memory_total_mb: float | None = None
    disk_read_kbps: float | None = None
    disk_write_kbps: float | None = None
    net_rx_kbps: float | None = None
    net_tx_kbps: float | None = None
    sampled_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LiveStats:
        return cls(
            cpu_percent=_float(d.get("cpuPercent")),
            memory_used_mb=_float(d.get("memoryUsedMb")),
            memory_total_mb=_float(d.get("memoryTotalMb")),
            disk_read_kbps=_float(d.get("diskReadKBps")),
            disk_write_kbps=_float(d.get("diskWriteKBps")),
            net_rx_kbps=_float(d.get("netRxKBps")),
            net_tx_kbps=_float(d.get("netTxKBps")),
            sampled_at=_dt(d.get("sampledAt")),
            raw=d,
        )


@dataclass
class Stats:
    """``GET /servers/:id/stats``: ``power_state`` always; ``live`` None when no telemetry."""

    power_state: str | None
    live: LiveStats | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stats:
        live = d.get("live")
        return cls(
            power_state=_str(d.get("powerState")),
            live=LiveStats.from_dict(live) if isinstance(live, dict) else None,
            raw=d,
        )


@dataclass
class AddonOffer:
    """One add-on offered to a server; ``active`` when that add-on *type* is already on it."""

    id: str
    name: str
    type: str | None
    monthly_price: Decimal | None
    prorated_price: Decimal | None
    active: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AddonOffer:
        return cls(
            id=str(d.get("id", "")),
            name=str(d.get("name", "")),
            type=_str(d.get("type")),
            monthly_price=money(d.get("monthlyPrice")),
            prorated_price=money(d.get("proratedPrice")),
            active=bool(d.get("active", d.get("attached", False))),
            raw=d,
        )


@dataclass
class AddonPurchase:
    """``POST /servers/:id/addons``: what was attached, what it cost, the wallet after,
    and the server with its new add-on (and any new IPs)."""

    addon: AddonOffer | None
    charged: Decimal | None
    balance: Decimal | None
    server: Server | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AddonPurchase:
        addon = d.get("addon")
        server = d.get("server")
        return cls(
            addon=AddonOffer.from_dict(addon) if isinstance(addon, dict) else None,
            charged=money(d.get("charged", d.get("proratedPrice"))),
            balance=money(d.get("balance")),
            server=Server.from_dict(server) if isinstance(server, dict) else None,
            raw=d,
        )


@dataclass
class SsoLink:
    """A one-time dashboard login link. ``url`` is secret: out of ``repr``, redacted in logs."""

    url: str = field(repr=False)
    expires_in: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SsoLink:
        url = str(d.get("url") or "")
        register_secret(url, transient=True)
        return cls(url=url, expires_in=_int(d.get("expiresIn")), raw=d)


@dataclass
class AffiliateRule:
    """``GET /public/affiliates/rule`` (no auth)."""

    enabled: bool
    trigger: str | None
    reward_type: str | None
    reward_amount: Decimal | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AffiliateRule:
        return cls(
            enabled=bool(d.get("enabled", False)),
            trigger=_str(d.get("trigger")),
            reward_type=_str(d.get("rewardType")),
            reward_amount=money(d.get("rewardAmount")),
            raw=d,
        )
