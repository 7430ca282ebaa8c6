"""A Hypothesis state machine over the whole bridge: random creates, add-ons, renewals
(the sandbox clock moved), invoices, refunds, terminations, top-ups and replays, through
signed hooks over HTTP to the bridge and the real sandbox. After every step: every
transaction sums to zero, the report's totals equal the journal's sums, what the ledger
booked as cost is what Otwa charged, and the wallet reconciles; replays change nothing."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bridge import store
from bridge.ledger import book_topup, report, wallet_drift
from bridge.ledger.periods import day_of
from tests.support.golden import Golden
from tests.support.processes import Sandbox

AMOUNTS = st.integers(min_value=-500, max_value=5000).map(lambda c: f"{Decimal(c) / 100:.2f}")


def make_machine(root: Path, sandbox: Sandbox) -> type[RuleBasedStateMachine]:
    runs = itertools.count()

    class Books(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            sandbox.reset()
            tmp = root / f"run{next(runs)}"
            tmp.mkdir()
            self.g = Golden(tmp, sandbox, "generic")
            sandbox.control("PUT", "/clock", {"timeScale": 0})
            self.stack = contextlib.ExitStack()
            self.stack.enter_context(self.g.served())
            self.services: dict[int, int] = {}  # service -> product, live ones
            self.ids = itertools.count(1)
            self.invoices: dict[str, dict[str, int]] = {}  # invoice -> line -> left (cents)
            self.sent: list[tuple[dict[str, Any], str]] = []

        @initialize(balance=st.integers(min_value=5, max_value=120))
        def open_wallet(self, balance: int) -> None:
            """A small wallet: renewals fail, servers are suspended, top-ups bring them
            back, the grace period ends some."""
            sandbox.set_balance("otwa_sandbox_default", f"{balance}.00")
            self.settle()  # the first sample opens the books

        def settle(self) -> None:
            """The worker's round, then a minute on: what happens next is after its sample
            (two events at one instant would be ambiguous to reconciliation)."""
            self.g.round()
            self.g.move(60)

        def teardown(self) -> None:
            self.stack.close()

        def post(self, body: dict[str, Any], webhook_id: str | None = None) -> Any:
            import json

            import requests

            from bridge import signing
            from tests.support.stack import HOOK_SECRET

            raw = json.dumps(body).encode()
            msg = webhook_id or "msg_" + uuid.uuid4().hex[:16]
            ts = int(self.g.clock.now())
            headers = {"content-type": "application/json", "webhook-id": msg,
                       "webhook-timestamp": str(ts),
                       "webhook-signature": signing.sign(HOOK_SECRET, msg, ts, raw)}  # fmt: skip
            r = requests.post(f"{self.g.url}/v1/hooks/shop", data=raw, headers=headers, timeout=30)
            if r.status_code < 300 and "invoice" in body.get("params", {}):
                self.sent.append((body, msg))
            return r

        def rows(self, sql: str) -> list[dict[str, Any]]:
            return self.g.env.rows(sql)

        # -- rules ---------------------------------------------------------------------------

        @rule(product=st.sampled_from([1, 2]), extra_ip=st.booleans())
        def create(self, product: int, extra_ip: bool) -> None:
            service = next(self.ids)
            options = {"Extra IPv4": "Yes"} if extra_ip and product == 1 else {}
            r = self.post(self.g.body("create", service, product, options=options))
            assert r.status_code in (200, 202, 402), r.text  # 402: the wallet is short
            if r.status_code != 402:
                self.services[service] = product
            self.g.move(300)  # the build finishes
            self.settle()

        @precondition(lambda self: self.services)
        @rule(data=st.data())
        def add_backup(self, data: st.DataObject) -> None:
            service = data.draw(st.sampled_from(sorted(self.services)))
            r = self.post(self.g.body("add_addon", service, self.services[service], type="backup"))
            # 402 short, 409 suspended/terminated at Otwa: refused, nothing booked
            assert r.status_code in (200, 202, 402, 404, 409), r.text

        @precondition(lambda self: self.services)
        @rule(data=st.data(), amounts=st.lists(AMOUNTS, min_size=1, max_size=3))
        def invoice(self, data: st.DataObject, amounts: list[str]) -> None:
            service = data.draw(st.sampled_from(sorted(self.services)))
            number = f"inv{next(self.ids)}"
            lines = [{"id": str(n), "amount": a} for n, a in enumerate(amounts, 1)]
            invoice = {"id": number, "currency": "USD", "lines": lines}
            r = self.post(self.g.body("invoice_paid", service, self.services[service],
                                      invoice=invoice))  # fmt: skip
            assert r.status_code == 200, r.text
            self.invoices[number] = {
                str(n): int(Decimal(a) * 100) for n, a in enumerate(amounts, 1)
            }  # fmt: skip

        @precondition(lambda self: any(v > 0 for i in self.invoices.values() for v in i.values()))
        @rule(data=st.data())
        def refund(self, data: st.DataObject) -> None:
            open_lines = [
                (i, n, v) for i, ls in self.invoices.items() for n, v in ls.items() if v > 0
            ]
            number, line, left = data.draw(st.sampled_from(open_lines))
            cents = data.draw(st.integers(min_value=1, max_value=left))
            body = self.g.body("invoice_refunded", 1, 1, invoice={
                "id": number, "currency": "USD", "refund_id": f"r{next(self.ids)}",
                "lines": [{"id": line, "amount": f"{Decimal(cents) / 100:.2f}"}]})  # fmt: skip
            r = self.post(body)
            assert r.status_code == 200, r.text
            self.invoices[number][line] -= cents

        @rule(days=st.integers(min_value=1, max_value=35))
        def advance(self, days: int) -> None:
            self.g.move(days * 86400.0)  # Otwa renews, suspends, terminates on its own
            self.settle()
            for kind in {e["kind"] for e in sandbox.state()["billingEvents"]}:
                event(f"otwa {kind} a server")  # shown by --hypothesis-show-statistics

        @precondition(lambda self: self.services)
        @rule(data=st.data())
        def terminate(self, data: st.DataObject) -> None:
            service = data.draw(st.sampled_from(sorted(self.services)))
            r = self.post(self.g.body("terminate", service, self.services.pop(service),
                                      grace_seconds=0))  # fmt: skip
            assert r.status_code in (200, 202), r.text

        @rule(amount=st.integers(min_value=1, max_value=200))
        def topup(self, amount: int) -> None:
            value = f"{amount}.00"
            sandbox.control("POST", "/accounts/otwa_sandbox_default/topup", {"amount": value})
            db = store.connect(self.g.env.db_path)
            try:
                book_topup(db, reference=f"t{next(self.ids)}", amount=value, currency="USD",
                           occurred_at=self.g.clock.now())  # fmt: skip
            finally:
                db.close()
            self.g.move(60)
            self.settle()  # reactivated servers' overdue renewals are booked

        @precondition(lambda self: self.sent)
        @rule(data=st.data(), same_id=st.booleans())
        def replay(self, data: st.DataObject, same_id: bool) -> None:
            body, msg = data.draw(st.sampled_from(self.sent))
            before = self.rows("SELECT count(*) AS n FROM ledger_entries")
            r = self.post(body, msg if same_id else None)
            assert r.status_code == 200, r.text
            assert r.json()["result"]["booked"] in (0, None) or same_id
            assert self.rows("SELECT count(*) AS n FROM ledger_entries") == before

        # -- invariants ----------------------------------------------------------------------

        @invariant()
        def every_transaction_sums_to_zero(self) -> None:
            assert self.rows(
                "SELECT txn_id FROM ledger_entries GROUP BY txn_id, currency HAVING SUM(amount)"
            ) == []  # fmt: skip

        @invariant()
        def the_report_totals_are_the_journal(self) -> None:
            sums = self.rows(
                "SELECT -COALESCE(SUM(CASE WHEN role = 'revenue' THEN amount END), 0) AS revenue,"
                " COALESCE(SUM(CASE WHEN role = 'cost' THEN amount END), 0) AS cost"
                " FROM ledger_entries"
            )[0]
            db = store.connect(self.g.env.db_path)
            try:
                end = day_of(self.g.clock.now() + 86400)
                rep = report(db, date(2026, 10, 1), end, "month")
            finally:
                db.close()
            totals = {t.currency: (t.revenue, t.cost) for t in rep.totals}
            assert totals.get("USD", (0, 0)) == (sums["revenue"], sums["cost"])

        @invariant()
        def costs_are_what_otwa_charged(self) -> None:
            charged = sum(
                int(Decimal(c["amount"]) * 100)
                for c in sandbox.state()["charges"] if c["account"] == "demo"
            )  # fmt: skip
            booked = self.rows(
                "SELECT COALESCE(SUM(amount), 0) AS n FROM ledger_entries WHERE role = 'cost'"
            )[0]["n"]
            assert booked == charged

        @invariant()
        def the_wallet_reconciles(self) -> None:
            db = store.connect(self.g.env.db_path)
            try:
                assert wallet_drift(db, "USD") in (0, None)
            finally:
                db.close()

    return Books


def test_the_books_hold_whatever_happens(tmp_path: Path, sandbox: Sandbox) -> None:
    machine = make_machine(tmp_path, sandbox)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=int(__import__("os").environ.get("LEDGER_STATEFUL_EXAMPLES", "8")),
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
