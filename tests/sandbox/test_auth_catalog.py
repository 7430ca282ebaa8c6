"""Keys, scopes, account/reseller/catalog endpoints and the common headers."""

from __future__ import annotations

import requests

from tests.sandbox.helpers import (
    BROKE,
    DEFAULT,
    DESTROY,
    LEGACY,
    OTHER,
    READONLY,
    STANDARD,
    call,
    create,
    running_server,
)
from tests.support.openapi import validate


def test_missing_malformed_unknown_keys_are_401(sandbox):
    for headers in ({}, {"Authorization": "otwa_sandbox_default"},
                    {"Authorization": "Basic b3R3YQ=="}, {"Authorization": "Bearer nope"},
                    {"Authorization": "Bearer otwa_unknown_key"}):  # fmt: skip
        r = validate(requests.get(f"{sandbox.api}/account", headers=headers, timeout=5))
        assert r.status_code == 401
        assert r.json()["statusCode"] == 401 and r.json()["error"] == "Unauthorized"
        assert "X-RateLimit-Remaining" not in r.headers


def test_account_and_reseller_per_key(sandbox):
    demo = call(sandbox, "GET", "/account").json()
    assert demo["balance"] == "500.00"
    assert call(sandbox, "GET", "/account", DESTROY).json()["id"] == demo["id"]
    assert call(sandbox, "GET", "/account", OTHER).json()["id"] != demo["id"]
    assert call(sandbox, "GET", "/account", BROKE).json()["balance"] == "0.00"
    tiers = [
        {"name": "Starter", "min30dGmv": "0.00", "discountPct": "10.00"},
        {"name": "Growth", "min30dGmv": "500.00", "discountPct": "15.00"},
        {"name": "Scale", "min30dGmv": "2000.00", "discountPct": "20.00"},
    ]
    assert call(sandbox, "GET", "/reseller").json() == {
        "partner": True,
        "enabled": True,
        "brandSlug": "demo-hosting",
        "brandName": "Demo Hosting",
        "marginPercent": "20.00",
        "discountPct": "20.00",
        "discountOverride": "20.00",
        "tierName": "Starter",
        "gmv30d": "0.00",
        "nextTier": {
            "name": "Growth",
            "gmvRequired": "500.00",
            "gmvRemaining": "500.00",
            "discountPct": "15.00",
        },
        "tiers": tiers,
    }
    other = call(sandbox, "GET", "/reseller", OTHER).json()
    assert other["partner"] is False and other["marginPercent"] == "0.00"
    assert other["tierName"] is None and other["discountOverride"] is None


def test_reseller_volume_counts_the_last_30_days_of_charges(sandbox):
    running_server(sandbox)  # Standard at the partner's 20 %: 7.99
    assert call(sandbox, "GET", "/reseller").json()["gmv30d"] == "7.99"
    assert call(sandbox, "GET", "/reseller").json()["nextTier"]["gmvRemaining"] == "492.01"
    sandbox.advance(30 * 86400 + 1)  # the renewal is charged; the first month leaves
    assert call(sandbox, "GET", "/reseller").json()["gmv30d"] == "7.99"


def test_missing_scope_is_403_naming_it(sandbox):
    s = running_server(sandbox)
    r = call(sandbox, "DELETE", f"/servers/{s['id']}", DEFAULT)
    assert r.status_code == 403
    assert r.json()["message"] == "API key is missing required scope(s): servers:destroy"
    r = call(sandbox, "POST", f"/servers/{s['id']}/reinstall", DEFAULT, json={"os": "debian-12"})
    assert r.status_code == 403
    r = create(sandbox, READONLY)
    assert r.status_code == 403
    assert r.json()["message"] == "API key is missing required scope(s): servers:write"
    assert call(sandbox, "GET", "/servers", READONLY).status_code == 200
    # nothing changed: still one server, still running
    assert [x["status"] for x in sandbox.state()["servers"]] == ["running"]


def test_legacy_star_key_passes_every_scope(sandbox):
    s = running_server(sandbox, LEGACY)
    r = call(sandbox, "POST", f"/servers/{s['id']}/reinstall", LEGACY, json={"os": "debian-12"})
    assert r.status_code == 200 and r.json()["os"] == "debian-12"
    assert call(sandbox, "DELETE", f"/servers/{s['id']}", LEGACY).status_code == 200


def test_other_accounts_server_is_404_never_403(sandbox):
    s = running_server(sandbox)
    for method, path in (("GET", ""), ("GET", "/credentials"), ("POST", "/power/stop"),
                         ("GET", "/addons"), ("POST", "/sso")):  # fmt: skip
        r = call(sandbox, method, f"/servers/{s['id']}{path}", OTHER)
        assert r.status_code == 404, (method, path, r.text)
    assert call(sandbox, "GET", "/servers", OTHER).json() == []
    assert call(sandbox, "GET", "/servers/not-a-uuid").status_code == 404


def test_catalog_needs_account_read_and_has_the_v19_content(sandbox):
    # Every demo key holds account:read; check its enforcement through the scope list.
    products = call(sandbox, "GET", "/products", OTHER).json()
    names = [p["name"] for p in products]
    assert {"Starter", "Standard", "Pro", "Windows Standard"} <= set(names)
    regions = {r["slug"] for r in call(sandbox, "GET", "/regions").json()}
    assert all(set(p["regions"]) < regions for p in products), "each plan: only some regions"
    ids = {t["id"] for t in call(sandbox, "GET", "/os-templates").json()}
    assert ids == {"ubuntu-24.04", "ubuntu-22.04", "debian-12", "rocky-10.1", "almalinux-10.1",
                   "windows-2022", "windows-2025", "windows-11-pro"}  # fmt: skip
    standard = next(p for p in products if p["id"] == STANDARD)
    types = [a["type"] for a in standard["addons"]]
    assert types.count("extra-ip") == 2 and "ip-class" in types and "backup" in types
    r = requests.get(f"{sandbox.api}/products", timeout=5)
    assert r.status_code == 401


def test_reseller_keys_see_wholesale_prices(sandbox):
    retail = {p["id"]: p for p in call(sandbox, "GET", "/products", OTHER).json()}
    wholesale = {p["id"]: p for p in call(sandbox, "GET", "/products", DEFAULT).json()}
    assert retail[STANDARD]["monthlyPrice"] == "9.99"
    assert wholesale[STANDARD]["monthlyPrice"] == "7.99"  # 9.99 x 0.80 = 7.992 -> 7.99
    assert wholesale[STANDARD]["addons"][1]["monthlyPrice"] == "9.60"  # 12.00 x 0.80


def test_request_id_echoed_or_generated_everywhere(sandbox):
    r = call(sandbox, "GET", "/account", headers={"X-Request-Id": "req-abc-123"})
    assert r.headers["X-Request-Id"] == "req-abc-123"
    a = call(sandbox, "GET", "/account").headers["X-Request-Id"]
    b = call(sandbox, "GET", "/account").headers["X-Request-Id"]
    assert a and b and a != b
    assert requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).headers["X-Request-Id"]
    assert requests.get(f"{sandbox.api}/nope", timeout=5).headers["X-Request-Id"]


def test_affiliate_rule_is_public_and_not_rate_limited(sandbox):
    r = call(sandbox, "GET", "/public/affiliates/rule", key=None)
    assert r.status_code == 200
    body = r.json()
    assert body["trigger"] in ("verified_signup", "first_deposit", "every_deposit")
    assert body["rewardType"] in ("fixed", "percent")
    assert "X-RateLimit-Remaining" not in r.headers
