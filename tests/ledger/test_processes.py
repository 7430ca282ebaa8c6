"""Several processes booking the same events at once book each exactly once; a booking that
returned survives its process being killed at once."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from bridge import store
from bridge.ledger import journal
from bridge.ledger.costs import book_server_created
from bridge.ledger.migrations import apply_migrations
from bridge.ledger.revenue import InvoiceLine, book_invoice_paid

T0 = 1_793_500_000.0
WORKERS = 4


def _book(path: str, barrier: Barrier, results: mp.Queue) -> None:  # type: ignore[type-arg]
    db = store.connect(path)
    barrier.wait(timeout=30)  # every process starts booking at the same moment
    statuses = [
        b.status
        for b in book_invoice_paid(
            db,
            panel="whmcs",
            invoice_id="1042",
            client_id="7",
            currency="USD",
            paid_at=T0,
            lines=[
                InvoiceLine("1", "42", "starter", "12.00"),
                InvoiceLine("2", "42", "pro", "3.00"),
            ],
        )
    ]
    statuses.append(
        book_server_created(
            db, server_id="srv-1", plan_price="7.99", currency="USD", charged_at=T0
        ).status
    )
    results.put(statuses)
    db.close()


def test_racing_processes_book_each_event_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    apply_migrations(store.connect(path))
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_book, args=(str(path), barrier, results)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0

    # Per event: exactly one process booked it, every other one was told it was booked.
    for i in range(3):
        column = sorted(o[i] for o in outcomes)
        assert column == ["already_booked"] * (WORKERS - 1) + ["booked"]
    db = store.connect(path)
    assert db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0] == 3
    assert journal.balance(db, "Assets:Receivable:Whmcs", "USD") == 1500
    assert journal.balance(db, "Assets:Otwa:Wallet", "USD") == -799


def _book_then_die(path: str) -> None:
    db = store.connect(path)
    book_server_created(db, server_id="srv-9", plan_price="9.99", currency="USD", charged_at=T0)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no clean exit: only what was committed


@pytest.mark.timeout(60)
def test_a_returned_booking_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    apply_migrations(store.connect(path))
    proc = mp.get_context("fork").Process(target=_book_then_die, args=(str(path),))
    proc.start()
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL

    db = store.connect(path)
    txn = journal.get(db, "server:srv-9")
    assert txn is not None and [p.amount for p in txn.postings] == [999, -999]
    assert journal.unbalanced(db) == []
