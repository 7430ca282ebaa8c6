"""Reconciliation: drift between GET /account samples and the journal, and where it is."""

from __future__ import annotations

import pytest
import sqlite_utils

from bridge.ledger.costs import book_renewal
from bridge.ledger.errors import LedgerError
from bridge.ledger.reconcile import reconcile, wallet_drift
from bridge.ledger.wallet import record_sample
from tests.ledger.scenario import at, book_month

NOV = (at(1, 0), at(30, 23, month=11) + 3599)


def test_the_scenario_month_reconciles(db: sqlite_utils.Database) -> None:
    book_month(db)
    rec = reconcile(db, "USD", start=NOV[0], end=NOV[1])

    assert (rec.first.balance, rec.last.balance) == (10000, 11436)  # type: ignore[union-attr]
    assert (rec.expected, rec.observed, rec.drift) == (1436, 1436, 0)
    assert rec.ok and rec.steps == ()
    assert wallet_drift(db, "USD") == 0


def test_an_unbooked_renewal_is_drift_with_its_neighbours(db: sqlite_utils.Database) -> None:
    book_month(db)
    # Otwa renewed srv-a on Dec 2nd (9.99) but the bridge never booked it.
    record_sample(db, balance="104.37", currency="USD", sampled_at=at(3, month=12))
    rec = reconcile(db, "USD", start=at(1), end=at(4, month=12), context=86400 * 5)

    assert (rec.expected, rec.observed, rec.drift) == (1436, 437, -999)
    assert not rec.ok
    (step,) = rec.steps
    assert (step.start.balance, step.end.balance, step.drift) == (11436, 10437, -999)
    # The transactions booked around the step: the top-up of Nov 28 (within 5 days).
    assert [m.event_id for m in step.moves] == ["topup:dep-1"]
    assert wallet_drift(db, "USD") == -999
    data = rec.to_dict()
    assert data["drift"] == "-9.99" and data["steps"][0]["transactions"][0]["amount"] == "50.00"
    # Booking the renewal late (charged on the 2nd) makes the books whole again.
    book_renewal(
        db,
        server_id="srv-a",
        period_start=at(2, month=12),
        plan_price="7.99",
        addons={"backup": "2.00"},
        currency="USD",
        charged_at=at(2, month=12),
    )
    assert reconcile(db, "USD", start=at(1), end=at(4, month=12)).ok


def test_a_charge_booked_after_its_sample_shows_and_cancels(db: sqlite_utils.Database) -> None:
    book_month(db)
    record_sample(db, balance="104.37", currency="USD", sampled_at=at(2, 13, month=12))
    book_renewal(
        db,
        server_id="srv-a",
        period_start=at(2, month=12),
        plan_price="7.99",
        addons={"backup": "2.00"},
        currency="USD",
        charged_at=at(2, 14, month=12),
    )  # booked an hour after the sample that saw the charge
    record_sample(db, balance="104.37", currency="USD", sampled_at=at(2, 15, month=12))
    rec = reconcile(db, "USD", start=at(1), end=at(3, month=12))

    assert rec.drift == 0 and rec.ok
    assert [s.drift for s in rec.steps] == [-999, 999]
    assert reconcile(db, "USD", start=at(1), end=at(3, month=12), tolerance=999).steps == ()


def test_too_few_samples(db: sqlite_utils.Database) -> None:
    rec = reconcile(db, "USD", start=NOV[0], end=NOV[1])
    assert not rec.enough_samples and not rec.ok and rec.first is None
    record_sample(db, balance="1.00", currency="USD", sampled_at=at(2))
    one = reconcile(db, "USD", start=NOV[0], end=NOV[1])
    assert one.first == one.last and not one.enough_samples
    assert wallet_drift(db, "USD") is None


def test_the_last_sample_before_the_period_is_its_baseline(db: sqlite_utils.Database) -> None:
    book_month(db)
    rec = reconcile(db, "USD", start=at(10), end=at(30, 23, month=11) + 1)
    assert rec.first.sampled_at == at(1, 1) and rec.ok  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"start": at(2), "end": at(1)}, "bad_date"),
        ({"start": at(1), "end": at(2), "tolerance": -1}, "bad_amount"),
        ({"start": at(1) * 1000, "end": at(2) * 1000}, "bad_date"),
    ],
)
def test_bad_requests(db: sqlite_utils.Database, kw: dict[str, float], code: str) -> None:
    with pytest.raises(LedgerError) as exc:
        reconcile(db, "USD", **kw)  # type: ignore[arg-type]
    assert exc.value.code == code
