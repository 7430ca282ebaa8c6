"""Otwa's charges, booked as they happen: create, add-on, renewals (sandbox clock moved),
nothing after termination; the worker's wallet samples reconcile to zero drift."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bridge import store
from bridge.clock import ManualClock
from bridge.ledger import wallet_drift
from bridge.ledger.costs import RENEWAL_PERIOD
from bridge.provisioning import upkeep
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Sandbox
from tests.support.stack import BridgeEnv


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock.following_system()


@pytest.fixture
def env(tmp_path, sandbox: Sandbox, whmcs: FakeWhmcs, clock: ManualClock) -> BridgeEnv:
    return BridgeEnv(tmp_path, sandbox, whmcs, clock=clock)


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def otwa_charges(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [c for c in sandbox.state()["charges"] if c["account"] == "demo"]


def booked_costs(env: BridgeEnv) -> list[dict[str, Any]]:
    return env.rows(
        "SELECT t.event_id, t.kind, e.account, e.amount FROM ledger_entries e"
        " JOIN ledger_transactions t ON t.id = e.txn_id WHERE e.role = 'cost' ORDER BY e.id"
    )


def wallet_booked(env: BridgeEnv) -> int:
    rows = env.rows(
        "SELECT COALESCE(SUM(amount), 0) AS n FROM ledger_entries"
        " WHERE account = 'Assets:Otwa:Wallet' AND txn_id IN"
        " (SELECT id FROM ledger_transactions WHERE kind IN ('server', 'addon', 'renewal'))"
    )
    return int(rows[0]["n"])


def round_now(env: BridgeEnv) -> upkeep.Round:
    db = store.connect(env.db_path)
    try:
        return upkeep.run_round(env.bridge, db)
    finally:
        db.close()


def move(env: BridgeEnv, sandbox: Sandbox, clock: ManualClock, seconds: float) -> None:
    """Both clocks forward together: Otwa's renewal cron and the bridge's view of it."""
    sandbox.advance(seconds)
    clock.advance(seconds)


def test_create_addon_renewal_and_termination_cost_what_otwa_charged(
    env: BridgeEnv, sandbox: Sandbox, clock: ManualClock
) -> None:
    round_now(env)  # the first sample opens the wallet at 500.00
    server_id = env.running_service("9001", options={"Extra IPv4": "Yes"})
    op_id, outcome = env.submit(env.command("add_addon", "9001", params={"type": "backup"}))
    assert outcome.status == 200, outcome
    charged = otwa_charges(sandbox)
    assert [c["kind"] for c in charged] == ["server", "addon", "addon"]
    assert -wallet_booked(env) == sum(cents(c["amount"]) for c in charged)
    costs = booked_costs(env)
    assert [(c["kind"], c["account"], c["amount"]) for c in costs] == [
        ("server", "Expenses:Otwa:Servers", cents(charged[0]["amount"])),  # 5.99 less 20 %
        ("server", "Expenses:Otwa:Addons:Extra-ip", cents(charged[1]["amount"])),
        ("addon", "Expenses:Otwa:Addons:Backup", cents(charged[2]["amount"])),  # prorated
    ]
    assert costs[0]["amount"] == 479

    move(env, sandbox, clock, RENEWAL_PERIOD + 3600)
    done = round_now(env)
    renewals = [c for c in otwa_charges(sandbox) if c["kind"].endswith("renewal")]
    assert len(renewals) == 3 and len(done.renewals) == 1, (renewals, done)
    assert done.renewals[0].startswith(f"renewal:{server_id}:")
    assert -wallet_booked(env) == sum(cents(c["amount"]) for c in otwa_charges(sandbox))
    again = round_now(env)
    assert again.renewals == []  # the same period is never booked twice

    env.submit(env.command("terminate", "9001", params={"grace_seconds": 0}))
    ended = env.rows("SELECT server_id, reason FROM ledger_server_ends")
    assert ended == [{"server_id": server_id, "reason": "terminated"}]
    move(env, sandbox, clock, 2 * RENEWAL_PERIOD)
    later = round_now(env)
    assert later.renewals == [] and later.runway is not None and later.runway.servers == ()
    assert -wallet_booked(env) == sum(cents(c["amount"]) for c in otwa_charges(sandbox))
    db = store.connect(env.db_path)
    try:
        assert wallet_drift(db, "USD") == 0  # every sample agrees with the journal
    finally:
        db.close()


def test_a_tier_change_prices_the_next_renewal_at_the_new_discount(
    env: BridgeEnv, sandbox: Sandbox, clock: ManualClock
) -> None:
    round_now(env)
    env.running_service("9002")
    sandbox.control("PUT", "/accounts/otwa_sandbox_default/margin",
                    {"marginPercent": "30.00"})  # fmt: skip
    move(env, sandbox, clock, RENEWAL_PERIOD + 60)
    round_now(env)
    renewal = [c for c in otwa_charges(sandbox) if c["kind"] == "server-renewal"]
    assert [c["amount"] for c in renewal] == ["4.19"]  # 5.99 x 0.70
    costs = [c for c in booked_costs(env) if c["kind"] == "renewal"]
    assert [c["amount"] for c in costs] == [419]


def test_ledger_switched_off_books_no_cost(
    env: BridgeEnv, sandbox: Sandbox, clock: ManualClock
) -> None:
    env.reconfigure(LEDGER_ENABLED=False)
    env.running_service("9003")
    assert booked_costs(env) == []
    assert otwa_charges(sandbox)


def test_a_renewal_the_wallet_cannot_pay(
    env: BridgeEnv, sandbox: Sandbox, whmcs: FakeWhmcs, clock: ManualClock
) -> None:
    """The runway alert goes out beforehand, once; the worker sees the suspension, the panel
    is told; nothing is booked for the renewal Otwa did not charge; a top-up brings it back."""
    env.reconfigure(LEDGER_RUNWAY_ALERT_DAYS=7, LEDGER_SAMPLE_INTERVAL=3600.0)
    sandbox.set_balance("otwa_sandbox_default", "10.00")
    first = env.running_service("9101")  # 4.79: the wallet keeps 5.21
    second = env.running_service("9102")  # 4.79: 0.42 left, neither renewal is covered
    move(env, sandbox, clock, 3600)
    env.drain_here(clock)  # the worker's own loop: its ledger round samples 0.42
    latest = env.rows("SELECT balance FROM ledger_wallet_samples ORDER BY sampled_at DESC")
    assert latest[0] == {"balance": 42}
    assert whmcs.calls("SendAdminEmail") == []  # 30 days of runway: no alert yet

    move(env, sandbox, clock, 24 * 86400)  # six days before the renewals
    env.drain_here(clock)
    mails = whmcs.calls("SendAdminEmail")
    assert len(mails) == 1, mails
    assert mails[0]["customsubject"].startswith("otwa-bridge: the Otwa wallet runs out on ")
    assert "top-up of 9.16 USD" in mails[0]["custommessage"]  # two renewals less 0.42
    move(env, sandbox, clock, 3600)
    env.drain_here(clock)
    assert len(whmcs.calls("SendAdminEmail")) == 1  # once per date it runs out

    move(env, sandbox, clock, 7 * 86400)  # past the anniversary: Otwa suspends both
    statuses = {s["id"]: s["status"] for s in sandbox.state()["servers"]}
    assert statuses[first] == statuses[second] == "suspended"
    env.drain_here(clock)
    mails = whmcs.calls("SendAdminEmail")
    unpaid = [m for m in mails if "(renewal not paid)" in m["customsubject"]]
    assert sorted(m["customsubject"].split()[4] for m in unpaid) == sorted([first, second])
    assert "service 9101 of panel whmcs" in " ".join(m["custommessage"] for m in unpaid)
    assert env.rows("SELECT * FROM ledger_transactions WHERE kind = 'renewal'") == []
    move(env, sandbox, clock, 3600)
    env.drain_here(clock)
    assert len(whmcs.calls("SendAdminEmail")) == len(mails)  # told once
    notices = env.rows("SELECT key, sent_at IS NOT NULL AS sent FROM ledger_alerts")
    assert all(n["sent"] for n in notices) and len(notices) == 3

    sandbox.control("POST", "/accounts/otwa_sandbox_default/topup", {"amount": "20.00"})
    move(env, sandbox, clock, 3600)  # the next round
    env.drain_here(clock)  # reactivated: Otwa charged the overdue renewals now
    renewals = env.rows("SELECT server_id, occurred_at FROM ledger_transactions"
                        " WHERE kind = 'renewal' ORDER BY server_id")  # fmt: skip
    assert sorted(r["server_id"] for r in renewals) == sorted([first, second])
    db = store.connect(env.db_path)
    try:
        assert wallet_drift(db, "USD") == 2000  # the top-up Otwa saw and nobody booked yet
        from bridge.ledger import book_topup

        book_topup(db, reference="dep-9", amount="20.00", currency="USD",
                   occurred_at=clock.now() - 3000)  # fmt: skip
        assert wallet_drift(db, "USD") == 0
    finally:
        db.close()
