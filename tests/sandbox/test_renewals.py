"""Renewals on each server's 30-day anniversary, suspension when the wallet is short,
termination after the grace period, and reactivation by a top-up (issue 7)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.sandbox.helpers import (
    DEFAULT,
    DESTROY,
    OTHER,
    STARTER,
    call,
    create,
    freeze,
    running_server,
)
from tests.support.processes import Sandbox

DAY = 86400
MONTH = 30 * DAY
GRACE = 7 * DAY


def t(stamp: str) -> float:
    """ISO-8601 (as the sandbox writes it) to epoch seconds."""
    return datetime.fromisoformat(stamp).timestamp()


def at(stamp: str, expected: float) -> bool:
    """``stamp`` names the instant ``expected`` (the wire form keeps milliseconds)."""
    return abs(t(stamp) - expected) < 0.002


def since(sb: Sandbox, n: int) -> list[dict[str, Any]]:
    """Charges after the first ``n``."""
    return sb.state()["charges"][n:]


def server_state(sb: Sandbox, sid: str) -> dict[str, Any]:
    return next(s for s in sb.state()["servers"] if s["id"] == sid)


def control(sb: Sandbox, method: str, path: str, body: Any) -> requests.Response:
    return requests.request(method, f"{sb.url}/_sandbox{path}", json=body, timeout=10)


def topup(sb: Sandbox, key: str, amount: Any) -> requests.Response:
    return control(sb, "POST", f"/accounts/{key}/topup", {"amount": amount})


def test_each_anniversary_charges_plan_and_every_addon_at_full_price(sandbox):
    freeze(sandbox)
    s = running_server(sandbox, addons=["sd2bk001"])  # 7.99 + 2.00 (wholesale, 20 %)
    created = t(s["createdAt"])
    assert at(s["renewsAt"], created + MONTH)
    first = sandbox.state()["charges"]
    assert [(c["kind"], c["amount"], c["addonId"]) for c in first] == [
        ("server", "7.99", None), ("addon", "2.00", "sd2bk001")]  # fmt: skip
    assert all(at(c["periodStart"], created) and at(c["periodEnd"], created + MONTH)
               for c in first)  # fmt: skip
    sandbox.advance(15 * DAY - 200)  # day 15: attach an IP at half price
    r = call(sandbox, "POST", f"/servers/{s['id']}/addons", json={"addonId": "sd2ip001"})
    assert r.json()["charged"] == "0.80"
    prorated = since(sandbox, 2)[0]
    assert at(prorated["periodStart"], created + 15 * DAY)
    assert at(prorated["periodEnd"], created + MONTH)
    sandbox.advance(15 * DAY - 1)  # one second before the anniversary: nothing yet
    assert len(sandbox.state()["charges"]) == 3
    sandbox.advance(1)
    renewal = since(sandbox, 3)
    assert [(c["kind"], c["amount"], c["addonId"]) for c in renewal] == [
        ("server-renewal", "7.99", None),
        ("addon-renewal", "2.00", "sd2bk001"),
        ("addon-renewal", "1.60", "sd2ip001"),  # full monthly price from now on
    ]  # fmt: skip
    for c in renewal:
        assert c["serverId"] == s["id"] and at(c["createdAt"], created + MONTH)
        assert at(c["periodStart"], created + MONTH) and at(c["periodEnd"], created + 2 * MONTH)
    assert renewal[-1]["balanceAfter"] == "477.62"  # 500 - 9.99 - 0.80 - 11.59
    got = call(sandbox, "GET", f"/servers/{s['id']}").json()
    assert got["status"] == "running" and at(got["renewsAt"], created + 2 * MONTH)
    assert call(sandbox, "GET", "/account").json()["balance"] == "477.62"


def test_a_renewal_is_charged_at_the_discount_in_force_at_that_moment(sandbox):
    freeze(sandbox)
    s = running_server(sandbox)  # Standard: 9.99 list, 7.99 at 20 %
    created = t(s["createdAt"])
    margin = f"/accounts/{DEFAULT}/margin"
    assert control(sandbox, "PUT", margin, {"marginPercent": "25.00"}).status_code == 200
    sandbox.advance(MONTH)
    sandbox.advance(MONTH + DAY)  # day 61: the day-60 renewal is due but not yet looked at
    # a tier change now must not reach back: day 60 is charged at 25 %, as a cron would have
    assert control(sandbox, "PUT", margin, {"marginPercent": "0"}).json()["marginPercent"] == "0.00"
    sandbox.advance(MONTH)
    renewals = [(c["amount"], t(c["createdAt"]) - created) for c in since(sandbox, 1)]
    assert renewals == [("7.49", pytest.approx(MONTH, abs=0.002)),
                        ("7.49", pytest.approx(2 * MONTH, abs=0.002)),
                        ("9.99", pytest.approx(3 * MONTH, abs=0.002))]  # fmt: skip
    for bad in ({"marginPercent": "100"}, {"marginPercent": "-1"}, {"marginPercent": 5}, {}):
        assert control(sandbox, "PUT", margin, bad).status_code == 400
    r = control(sandbox, "PUT", f"/accounts/{OTHER}/margin", {"marginPercent": "5"})
    assert r.status_code == 409 and "not a reseller partner" in r.json()["message"]
    assert control(sandbox, "PUT", "/accounts/otwa_nobody/margin", {"marginPercent": "5"}
                   ).status_code == 404  # fmt: skip
    assert call(sandbox, "GET", "/reseller").json()["marginPercent"] == "0.00"


def test_short_wallet_suspends_and_the_grace_period_ends_in_termination(sandbox):
    freeze(sandbox)
    big = create(sandbox, label="big", addons=["sd2bk001"]).json()  # renews at 9.99
    small = create(sandbox, productId=STARTER, label="small").json()  # renews at 4.79
    sandbox.advance(200)
    created = t(big["createdAt"])
    sandbox.set_balance(DEFAULT, "5.00")
    sandbox.advance(MONTH - 200)  # both due at once: big first (created first), then small
    st = sandbox.state()
    assert st["balances"][DEFAULT] == "0.21"  # big: nothing charged; small: 4.79
    assert [(c["serverId"], c["kind"]) for c in st["charges"][3:]] == [
        (small["id"], "server-renewal")]  # fmt: skip
    assert [(e["kind"], e["serverId"], e["amountDue"]) for e in st["billingEvents"]] == [
        ("suspended", big["id"], "9.99")]  # fmt: skip
    billing = server_state(sandbox, big["id"])["billing"]
    assert at(billing["suspendedAt"], created + MONTH) and billing["resumeStatus"] == "running"
    assert at(billing["terminatesAt"], created + MONTH + GRACE)
    listed = {x["id"]: x["status"] for x in call(sandbox, "GET", "/servers").json()}
    assert listed == {big["id"]: "suspended", small["id"]: "running"}
    got = call(sandbox, "GET", f"/servers/{big['id']}").json()
    assert got["status"] == "suspended" and at(got["renewsAt"], created + MONTH)  # overdue

    # while suspended: reads, rename, SSO and delete work; everything that uses the VM is 409
    sid = big["id"]
    for method, path, body, key in (
        ("POST", "/power/start", None, DEFAULT), ("POST", "/power/stop", None, DEFAULT),
        ("POST", "/power/reboot", None, DEFAULT), ("POST", "/password-reset", None, DEFAULT),
        ("GET", "/credentials", None, DEFAULT),
        ("POST", "/addons", {"addonId": "sd2ip001"}, DEFAULT),
        ("POST", "/reinstall", {"os": "debian-12"}, DESTROY),
    ):  # fmt: skip
        r = call(sandbox, method, f"/servers/{sid}{path}", key, json=body)
        assert r.status_code == 409, (method, path)
        assert "suspended (unpaid renewal); add funds" in r.json()["message"], path
    assert call(sandbox, "GET", f"/servers/{sid}/stats").json()["powerState"] == "SUSPENDED"
    assert call(sandbox, "GET", f"/servers/{sid}/addons").status_code == 200
    assert (
        call(sandbox, "PATCH", f"/servers/{sid}/label", json={"label": "big-2"}).status_code == 200
    )
    assert call(sandbox, "POST", f"/servers/{sid}/sso").status_code == 201
    assert sandbox.state()["balances"][DEFAULT] == "0.21"  # none of that charged anything

    sandbox.advance(GRACE - 1)
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "suspended"
    sandbox.advance(1)
    gone = call(sandbox, "GET", f"/servers/{sid}").json()
    assert gone["status"] == "terminated" and gone["ipAddress"] is None
    ended = sandbox.state()["billingEvents"][-1]
    assert ended["kind"] == "terminated" and at(ended["at"], created + MONTH + GRACE)
    # terminated is final: a top-up does not bring it back, later anniversaries charge nothing
    assert topup(sandbox, DEFAULT, "100.00").json()["reactivated"] == []
    sandbox.advance(2 * MONTH)
    renewed = {c["serverId"] for c in since(sandbox, 4)}
    assert renewed == {small["id"]}
    assert call(sandbox, "GET", f"/servers/{sid}").json()["status"] == "terminated"


def test_a_topup_reactivates_in_suspension_order_and_restores_the_previous_status(sandbox):
    freeze(sandbox)
    first = create(sandbox, label="first").json()  # 7.99
    second = create(sandbox, productId=STARTER, label="second").json()  # 4.79
    sandbox.advance(200)
    call(sandbox, "POST", f"/servers/{first['id']}/power/stop")
    created = t(first["createdAt"])
    sandbox.set_balance(DEFAULT, "0.00")
    sandbox.advance(MONTH + DAY - 200)
    assert server_state(sandbox, first["id"])["billing"]["resumeStatus"] == "stopped"
    for bad in ("0", "0.00", "-5.00", "abc", "1.001", 5, None, "5.00\n"):
        r = topup(sandbox, DEFAULT, bad)
        assert r.status_code == 400 and "positive decimal string" in r.json()["message"][0], bad
    assert topup(sandbox, "otwa_nobody", "5.00").status_code == 404
    # 5.00 would cover the second one, but the first suspension is served first
    r = topup(sandbox, DEFAULT, "5.00")
    assert r.json() == {"ok": True, "accountId": r.json()["accountId"], "balance": "5.00",
                        "reactivated": []}  # fmt: skip
    assert sandbox.set_balance(DEFAULT, "10.00")["reactivated"] == [first["id"]]
    got = call(sandbox, "GET", f"/servers/{first['id']}").json()
    assert got["status"] == "stopped" and at(got["renewsAt"], created + 2 * MONTH)
    paid = since(sandbox, 2)
    assert [(c["serverId"], c["amount"], c["balanceAfter"]) for c in paid] == [
        (first["id"], "7.99", "2.01")]  # fmt: skip
    assert at(paid[0]["periodStart"], created + MONTH)  # the overdue period, charged now
    assert at(paid[0]["createdAt"], created + MONTH + DAY)
    assert call(sandbox, "GET", f"/servers/{second['id']}").json()["status"] == "suspended"
    assert sandbox.set_balance(DEFAULT, "1.00")["reactivated"] == []  # lowering is no top-up
    assert topup(sandbox, DEFAULT, "3.79").json()["reactivated"] == [second["id"]]
    assert call(sandbox, "GET", f"/servers/{second['id']}").json()["status"] == "running"
    kinds = [(e["kind"], e["serverId"]) for e in sandbox.state()["billingEvents"]]
    assert kinds == [("suspended", first["id"]), ("suspended", second["id"]),
                     ("reactivated", first["id"]), ("reactivated", second["id"])]  # fmt: skip
    assert sandbox.state()["balances"][DEFAULT] == "0.00"


def test_a_grace_longer_than_a_month_charges_every_overdue_period(sandbox):
    freeze(sandbox)
    r = control(sandbox, "PUT", "/grace-period", {"seconds": 40 * DAY})
    assert r.json() == {"ok": True, "seconds": 40 * DAY}
    for bad in ({"seconds": -1}, {"seconds": "7d"}, {}):
        assert control(sandbox, "PUT", "/grace-period", bad).status_code == 400
    s = running_server(sandbox)
    created = t(s["createdAt"])
    sandbox.set_balance(DEFAULT, "0.00")
    sandbox.advance(2 * MONTH)  # suspended at day 30; day 60 passes while it waits
    assert len(sandbox.state()["charges"]) == 1
    assert topup(sandbox, DEFAULT, "15.97").json()["reactivated"] == []  # 2 x 7.99 needed
    assert topup(sandbox, DEFAULT, "0.01").json()["reactivated"] == [s["id"]]
    starts = [t(c["periodStart"]) - created for c in since(sandbox, 1)]
    assert starts == [pytest.approx(MONTH, abs=0.002), pytest.approx(2 * MONTH, abs=0.002)]
    got = call(sandbox, "GET", f"/servers/{s['id']}").json()
    assert got["status"] == "running" and at(got["renewsAt"], created + 3 * MONTH)
    sandbox.reset()
    assert sandbox.state()["gracePeriodSeconds"] == GRACE


def test_a_shorter_grace_applies_to_servers_already_suspended(sandbox):
    freeze(sandbox)
    s = running_server(sandbox)
    created = t(s["createdAt"])
    sandbox.set_balance(DEFAULT, "0.00")
    sandbox.advance(MONTH + 2 * DAY)
    assert call(sandbox, "GET", f"/servers/{s['id']}").json()["status"] == "suspended"
    control(sandbox, "PUT", "/grace-period", {"seconds": DAY}).raise_for_status()
    assert call(sandbox, "GET", f"/servers/{s['id']}").json()["status"] == "terminated"
    assert at(sandbox.state()["billingEvents"][-1]["at"], created + MONTH + DAY)


def test_failed_and_terminated_servers_are_never_charged(sandbox):
    freeze(sandbox)
    gone = running_server(sandbox)
    assert call(sandbox, "DELETE", f"/servers/{gone['id']}", DESTROY).status_code == 200
    control(sandbox, "PUT", "/build-failure-rate", {"rate": 1}).raise_for_status()
    failed = create(sandbox).json()
    sandbox.advance(3 * MONTH)
    assert call(sandbox, "GET", f"/servers/{failed['id']}").json()["status"] == "failed"
    st = sandbox.state()
    assert [c["kind"] for c in st["charges"]] == ["server", "server"]  # the two creates
    assert st["billingEvents"] == []


def test_forcing_a_status_on_a_suspended_server_waives_the_overdue_renewal(sandbox):
    freeze(sandbox)
    s = running_server(sandbox)
    created = t(s["createdAt"])
    sandbox.set_balance(DEFAULT, "0.00")
    sandbox.advance(MONTH + DAY)
    control(sandbox, "PUT", f"/servers/{s['id']}/status", {"status": "running"}).raise_for_status()
    got = call(sandbox, "GET", f"/servers/{s['id']}").json()
    assert got["status"] == "running" and at(got["renewsAt"], created + 2 * MONTH)
    sandbox.advance(GRACE)  # no termination: the suspension is over
    assert call(sandbox, "GET", f"/servers/{s['id']}").json()["status"] == "running"
    assert len(sandbox.state()["charges"]) == 1


def scenario(sb: Sandbox, steps: list[float]) -> list[tuple[Any, ...]]:
    """Two servers ten days apart and a wallet that runs dry; the clock moves by ``steps``
    (reading the state after each). What happened, relative to the first creation."""
    sb.reset()
    freeze(sb)
    a = create(sb, label="a").json()  # renews at 7.99
    sb.advance(10 * DAY)
    b = create(sb, productId=STARTER, label="b").json()  # renews at 4.79
    sb.set_balance(DEFAULT, "30.00")
    for step in steps:
        sb.advance(step)
        call(sb, "GET", "/servers")
    st = sb.state()
    t0, label = t(a["createdAt"]), {a["id"]: "a", b["id"]: "b"}
    charges = [(label[c["serverId"]], c["kind"], c["amount"], c["balanceAfter"],
                round(t(c["createdAt"]) - t0), round(t(c["periodStart"]) - t0))
               for c in st["charges"][2:]]  # fmt: skip
    events = [
        (label[e["serverId"]], e["kind"], round(t(e["at"]) - t0)) for e in st["billingEvents"]
    ]
    return charges + events


def test_one_long_jump_bills_exactly_as_a_daily_cron_would(sandbox):
    jumped = scenario(sandbox, [200 * DAY])
    stepped = scenario(sandbox, [5 * DAY] * 40)
    assert jumped == stepped
    d = DAY
    assert jumped == [
        ("a", "server-renewal", "7.99", "22.01", 30 * d, 30 * d),
        ("b", "server-renewal", "4.79", "17.22", 40 * d, 40 * d),
        ("a", "server-renewal", "7.99", "9.23", 60 * d, 60 * d),
        ("b", "server-renewal", "4.79", "4.44", 70 * d, 70 * d),
        ("a", "suspended", 90 * d),  # 4.44 < 7.99: nothing charged
        ("a", "terminated", 97 * d),
        ("b", "suspended", 100 * d),  # 4.44 < 4.79
        ("b", "terminated", 107 * d),
    ]


def test_parallel_requests_across_an_anniversary_bill_each_period_once(sandbox):
    freeze(sandbox)
    ids = [create(sandbox, label=f"p{i}").json()["id"] for i in range(6)]
    sandbox.set_balance(DEFAULT, "44.95")  # five renewals of 7.99 fit, the sixth does not
    sandbox.advance(MONTH)
    with ThreadPoolExecutor(12) as pool:
        calls = [("GET", "/servers"), ("GET", "/account"), ("POST", "/servers")] * 8
        codes = list(pool.map(lambda c: call(sandbox, c[0], c[1], json=(
            {"productId": STARTER, "os": "debian-12", "osTemplate": "debian-12"}
            if c[0] == "POST" else None)).status_code, calls))  # fmt: skip
    assert set(codes) == {200, 201, 402} and codes.count(201) == 1  # 5.00 left: one Starter
    st = sandbox.state()
    later = st["charges"][6:]
    periods = [(c["serverId"], c["periodStart"]) for c in later if c["kind"] == "server-renewal"]
    assert len(periods) == len(set(periods)) == 5  # each renewal once, the sixth suspended
    assert [e["kind"] for e in st["billingEvents"]] == ["suspended"]
    assert st["billingEvents"][0]["serverId"] == ids[5]
    assert all(Decimal(c["balanceAfter"]) >= 0 for c in st["charges"])
    spent = sum(Decimal(c["amount"]) for c in later)
    assert Decimal("44.95") - spent == Decimal(st["balances"][DEFAULT]) == Decimal("0.21")


def test_a_topup_after_an_unseen_anniversary_meets_the_suspension_first(sandbox):
    freeze(sandbox)
    s = running_server(sandbox)
    created = t(s["createdAt"])
    sandbox.set_balance(DEFAULT, "0.00")
    sandbox.advance(MONTH + DAY - 200)  # nobody looks: the renewal is due, not yet applied
    assert topup(sandbox, DEFAULT, "7.99").json()["reactivated"] == [s["id"]]
    events = [(e["kind"], t(e["at"]) - created) for e in sandbox.state()["billingEvents"]]
    assert events == [("suspended", pytest.approx(MONTH, abs=0.002)),  # as a cron would have
                      ("reactivated", pytest.approx(MONTH + DAY, abs=0.002))]  # fmt: skip
