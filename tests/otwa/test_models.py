"""Models parse the sandbox spec's shapes and tolerate the variants the record leaves open."""

from __future__ import annotations

from decimal import Decimal

from bridge.logs import redact
from bridge.otwa import models


def test_money_is_decimal_from_string_or_number() -> None:
    assert models.money("9.99") == Decimal("9.99")
    assert models.money(20) == Decimal("20")
    assert models.money(0.1) == Decimal("0.1")  # via str: no binary float error
    assert models.money(None) is None and models.money("abc") is None


def test_reseller_tolerates_number_margin() -> None:
    r = models.Reseller.from_dict(
        {"partner": True, "brandSlug": "demo", "brandName": "Demo", "marginPercent": 20}
    )
    assert r.partner and r.margin_percent == Decimal("20") and r.brand_slug == "demo"
    r = models.Reseller.from_dict({"partner": False, "marginPercent": "0.00"})
    assert not r.partner and r.margin_percent == Decimal("0.00") and r.brand_name is None


def test_server_detail_and_summary() -> None:
    detail = {
        "id": "s1",
        "label": "web",
        "status": "running",
        "networking": {
            "primaryIp": "198.18.0.10",
            "additionalIps": [{"ip": "198.18.0.11", "cidr": "198.18.0.0/24", "type": "extra-ip"}],
        },
        "specs": {"os": "ubuntu-24.04", "region": "tr-ist-01", "vcpu": 2},
        "addons": [{"id": "vpk7wjf5", "name": "IP", "type": "extra-ip", "monthlyPrice": "2.00"}],
        "createdAt": "2026-01-01T00:00:00.000Z",
    }
    s = models.Server.from_dict(detail, replayed=True)
    assert (s.ip_address, s.os, s.region, s.vcpu) == ("198.18.0.10", "ubuntu-24.04", "tr-ist-01", 2)
    assert s.additional_ips[0].ip == "198.18.0.11" and s.additional_ips[0].type == "extra-ip"
    assert s.addons[0].monthly_price == Decimal("2.00")
    assert s.created_at is not None and s.created_at.year == 2026 and s.replayed
    assert s.raw is detail
    summary = models.Server.from_dict(
        {"id": "s2", "label": "x", "status": "pending", "ipAddress": None, "additionalIps": []}
    )
    assert summary.ip_address is None and summary.additional_ips == [] and not summary.replayed


def test_product_legacy_region_and_addons() -> None:
    p = models.Product.from_dict(
        {"id": "p", "name": "Starter", "monthlyPrice": "9.99", "region": "OTWA IST"}
    )
    assert p.regions == ["OTWA IST"] and p.addons == [] and p.monthly_price == Decimal("9.99")


def test_addon_offer_active_or_attached() -> None:
    a = models.AddonOffer.from_dict({"id": "a", "name": "n", "attached": True})
    assert a.active
    b = models.AddonOffer.from_dict(
        {"id": "a", "name": "n", "type": "backup", "active": False, "proratedPrice": "1.23"}
    )
    assert not b.active and b.prorated_price == Decimal("1.23")


def test_secrets_stay_out_of_repr_and_logs() -> None:
    creds = models.Credentials.from_dict(
        {"username": "root", "password": "Pw-canary-93jd81", "ip": "1.2.3.4", "port": 22}
    )
    assert "Pw-canary-93jd81" not in repr(creds)
    assert "Pw-canary-93jd81" not in redact("the password is Pw-canary-93jd81 now")
    link = models.SsoLink.from_dict(
        {"url": "https://x.example/login/tok-canary-123", "expiresIn": 300}
    )
    assert "tok-canary-123" not in repr(link) and link.expires_in == 300
    assert "tok-canary-123" not in redact("go to https://x.example/login/tok-canary-123")


def test_stats_live_null_or_metrics() -> None:
    off = models.Stats.from_dict({"powerState": "POWERED_OFF", "live": None})
    assert off.live is None and off.power_state == "POWERED_OFF"
    on = models.Stats.from_dict(
        {
            "powerState": "POWERED_ON",
            "live": {"cpuPercent": 12.5, "memoryUsedMb": 512, "netRxKBps": 3},
        }
    )
    assert on.live is not None and on.live.cpu_percent == 12.5 and on.live.net_rx_kbps == 3.0
