"""Boot accounts and API keys (DESIGN.md's pinned table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bridge.sandbox.catalog import price_for

DEFAULT_SCOPES = frozenset({"account:read", "servers:read", "servers:write", "billing:read"})


@dataclass
class Account:
    id: str
    name: str
    email: str
    first_name: str | None
    last_name: str | None
    tier: str
    balance: Decimal
    created_at: str
    partner: bool = False
    brand_slug: str | None = None
    brand_name: str | None = None
    margin_percent: Decimal = Decimal("0.00")
    keys: list[str] = field(default_factory=list)

    def pays(self, list_price: Decimal) -> Decimal:
        """What this account is charged for a list price now: wholesale at the current
        margin for a reseller partner, else the list price."""
        return price_for(list_price, self.margin_percent) if self.partner else list_price


@dataclass(frozen=True)
class ApiKey:
    key: str
    account_id: str
    scopes: frozenset[str]

    def missing(self, required: tuple[str, ...]) -> list[str]:
        """Scopes in ``required`` this key lacks; ``*`` (pre-scope legacy keys) has all."""
        if "*" in self.scopes:
            return []
        return [s for s in required if s not in self.scopes]


DEMO = "1d9e0f6a-0000-4000-8000-00000000de30"
OTHER = "2e0f1a7b-0000-4000-8000-0000000007e2"
BROKE = "3f1a2b8c-0000-4000-8000-00000000b20c"


def boot_accounts() -> tuple[dict[str, Account], dict[str, ApiKey]]:
    """Fresh accounts and keys, as after boot or POST /_sandbox/reset."""
    created = "2026-01-01T00:00:00.000Z"
    accounts = {
        DEMO: Account(
            DEMO, "demo", "demo@sandbox.otwa.test", "Demo", "Reseller", "pro",
            Decimal("500.00"), created, True, "demo-hosting", "Demo Hosting", Decimal("20.00"),
        ),
        OTHER: Account(
            OTHER, "other", "other@sandbox.otwa.test", "Other", "Customer", "standard",
            Decimal("500.00"), created,
        ),
        BROKE: Account(
            BROKE, "broke", "broke@sandbox.otwa.test", None, None, "standard",
            Decimal("0.00"), created,
        ),
    }  # fmt: skip
    keys = [
        ApiKey("otwa_sandbox_default", DEMO, DEFAULT_SCOPES),
        ApiKey("otwa_sandbox_destroy", DEMO, DEFAULT_SCOPES | {"servers:destroy"}),
        ApiKey("otwa_sandbox_readonly", DEMO, frozenset({"account:read", "servers:read"})),
        ApiKey("otwa_sandbox_legacy", DEMO, frozenset({"*"})),
        ApiKey("otwa_sandbox_other", OTHER, DEFAULT_SCOPES),
        ApiKey("otwa_sandbox_broke", BROKE, DEFAULT_SCOPES),
    ]
    for k in keys:
        accounts[k.account_id].keys.append(k.key)
    return accounts, {k.key: k for k in keys}
