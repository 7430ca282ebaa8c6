"""Account (account, reseller, dashboard SSO), catalog and public endpoints."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import request

from bridge.sandbox.auth import account, public, requires, state
from bridge.sandbox.blueprint import api
from bridge.sandbox.catalog import OS_TEMPLATES, PLANS, REGIONS, price_for
from bridge.sandbox.clock import parse_iso
from bridge.sandbox.errors import ApiError
from bridge.sandbox.money import fmt
from bridge.sandbox.sso import TTL, valid_next
from bridge.sandbox.validation import json_body


@api.get("/account")
@requires("account:read")
def get_account() -> Any:
    with state().lock:
        state().tick()  # renewals due by now are in the balance
        a = account()
        return {
            "id": a.id,
            "email": a.email,
            "firstName": a.first_name,
            "lastName": a.last_name,
            "balance": fmt(a.balance),
            "tier": a.tier,
            "createdAt": a.created_at,
        }


# Otwa's reseller tiers by rolling 30-day volume (CONTRACT.md 10.2: the official client's
# fixture). The sandbox reports the tier the volume reaches but never promotes on its own:
# the discount in force is the account's margin (set at boot or by PUT .../margin), shown
# as discountPct and discountOverride.
TIERS = (("Starter", Decimal("0"), Decimal("10")), ("Growth", Decimal("500"), Decimal("15")),
         ("Scale", Decimal("2000"), Decimal("20")))  # fmt: skip
VOLUME_WINDOW = 30 * 86400.0


def _volume(account_id: str, now: float) -> Decimal:
    """What the account was charged in the last 30 days (sandbox time)."""
    since = now - VOLUME_WINDOW
    return sum(
        (Decimal(c["amount"]) for c in state().charges
         if c["accountId"] == account_id and parse_iso(c["createdAt"]) > since),
        Decimal("0"),
    )  # fmt: skip


@api.get("/reseller")
@requires("account:read")
def get_reseller() -> Any:
    with state().lock:
        state().tick()  # renewals due by now count in the volume
        a = account()
        gmv = _volume(a.id, state().now())
        reached = [t for t in TIERS if gmv >= t[1]]
        above = [t for t in TIERS if gmv < t[1]]
        nxt = above[0] if above else None
        return {
            "partner": a.partner,
            "enabled": a.partner,
            "brandSlug": a.brand_slug,
            "brandName": a.brand_name,
            "marginPercent": fmt(a.margin_percent),
            "discountPct": fmt(a.margin_percent),
            "discountOverride": fmt(a.margin_percent) if a.partner else None,
            "tierName": reached[-1][0] if a.partner and reached else None,
            "gmv30d": fmt(gmv),
            "nextTier": None if nxt is None else {
                "name": nxt[0],
                "gmvRequired": fmt(nxt[1]),
                "gmvRemaining": fmt(nxt[1] - gmv),
                "discountPct": fmt(nxt[2]),
            },
            "tiers": [
                {"name": n, "min30dGmv": fmt(m), "discountPct": fmt(d)} for n, m, d in TIERS
            ],
        }  # fmt: skip


def sso_link(account_id: str, default_target: str) -> tuple[dict[str, Any], int]:
    """Issue a one-time link to ``next`` (validated) or ``default_target``."""
    body = json_body(required=False)
    target = body.get("next", default_target)
    if not valid_next(target):
        raise ApiError(400, "next must be a relative path starting with '/' (not '//')")
    st = state()
    with st.lock:
        token = st.sso.issue(account_id, target, st.now())
    return {"url": f"{request.host_url}sso/{token}", "expiresIn": TTL}, 201


@api.post("/sso")
@requires("servers:write")
def create_sso() -> Any:
    with state().lock:
        account_id = account().id
    return sso_link(account_id, "/dashboard")


@api.get("/products")
@requires("account:read")
def list_products() -> Any:
    with state().lock:
        margin = account().margin_percent if account().partner else None
    out = []
    for p in PLANS:
        pay = (lambda d: price_for(d, margin)) if margin is not None else (lambda d: d)
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "vcpu": p.vcpu,
                "ramMb": p.ram_mb,
                "diskGb": p.disk_gb,
                "bandwidthGb": p.bandwidth_gb,
                "monthlyPrice": fmt(pay(p.monthly_price)),
                "regions": list(p.regions),
                "addons": [
                    {
                        "id": a.id,
                        "name": a.name,
                        "type": a.type,
                        "monthlyPrice": fmt(pay(a.monthly_price)),
                    }  # fmt: skip
                    for a in p.addons
                ],
            }
        )
    return out


@api.get("/regions")
@requires("account:read")
def list_regions() -> Any:
    return [{"slug": r.slug, "name": r.name} for r in REGIONS]


@api.get("/os-templates")
@requires("account:read")
def list_os_templates() -> Any:
    return [{"id": t.id, "family": t.family, "label": t.label} for t in OS_TEMPLATES]


@api.get("/public/affiliates/rule")
@public
def affiliate_rule() -> Any:
    return {
        "enabled": True,
        "trigger": "first_deposit",
        "rewardType": "percent",
        "rewardAmount": "10.00",
    }
