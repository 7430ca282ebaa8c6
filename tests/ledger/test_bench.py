"""Keeps bench/ledger_bench.py honest and working: at a small size, the journal it builds is
balanced, and the report, the floor GROUP BY and the join agree to the minor unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bench import ledger_bench
from bridge import store
from bridge.ledger import journal
from bridge.ledger.periods import epoch
from bridge.ledger.report import By, report


def test_the_bench_journal_is_balanced_and_all_three_queries_agree(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite"
    txns, entries = ledger_bench.build(path, entries=3000, months=3, seed=1)
    assert entries >= 3000 and txns > 1000
    db = store.connect(path)
    assert journal.unbalanced(db) == []
    start, end = date(2026, 1, 1), date(2026, 4, 1)
    bounds = [epoch(start), epoch(end)]
    for by in (By.PRODUCT, By.MONTH):
        floor = db.execute(ledger_bench.floor_sql(by), bounds).fetchall()
        joined = db.execute(ledger_bench.join_sql(by), bounds).fetchall()
        assert sorted(floor, key=repr) == sorted(joined, key=repr)
        rep = report(db, start, end, by)
        for currency in ("USD", "EUR"):
            revenue = -sum(s for *_, c, role, s in floor if c == currency and role == "revenue")
            cost = sum(s for *_, c, role, s in floor if c == currency and role == "cost")
            total = next(t for t in rep.totals if t.currency == currency)
            assert (total.revenue, total.cost) == (revenue, cost)
    db.close()


def test_the_bench_runs_end_to_end(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    timings = ledger_bench.run(2000, 2, 3, 1, tmp_path / "b.sqlite", bookings=3)
    out = capsys.readouterr().out
    assert [t.label for t in timings][0].startswith("by product")
    assert "ratio" in out and "book_invoice_paid" in out
