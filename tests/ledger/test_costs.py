"""Cost as Otwa charged it: creates, add-ons, renewals; once each; attributed."""

from __future__ import annotations

import pytest
import sqlite_utils

from bridge.ledger import journal
from bridge.ledger.costs import (
    book_addon_attached,
    book_renewal,
    book_server_created,
    mark_server_ended,
)
from bridge.ledger.errors import LedgerError

T0 = 1_793_500_000.0  # 2026-11-01T...
DAY = 86400.0


def create(db: sqlite_utils.Database, **kw: object) -> journal.Booking:
    args: dict[str, object] = {
        "server_id": "srv-1",
        "plan_price": "7.99",
        "currency": "USD",
        "charged_at": T0,
        "addons": {"backup": "2.00"},
        "plan": "Starter",
        "panel": "whmcs",
        "service_id": "42",
        "client_id": "7",
        "product": "starter",
    }
    args.update(kw)
    return book_server_created(db, **args)  # type: ignore[arg-type]


def test_a_create_books_plan_and_addons_against_the_wallet(db: sqlite_utils.Database) -> None:
    booking = create(db)

    assert booking.event_id == "server:srv-1" and booking.booked
    txn = journal.get(db, "server:srv-1")
    assert txn is not None
    assert [(p.account, p.amount) for p in txn.postings] == [
        ("Expenses:Otwa:Servers", 799),
        ("Expenses:Otwa:Addons:Backup", 200),
        ("Assets:Otwa:Wallet", -999),
    ]
    assert txn.who.server_id == "srv-1" and txn.who.service_id == "42"
    assert (txn.period_start, txn.period_end) == ("2026-11-01T02:26:40Z", "2026-12-01T02:26:40Z")
    assert txn.metadata == {
        "plan": "Starter",
        "monthly": {"server": 799, "addons": {"backup": 200}},
    }
    assert create(db, charged_at=T0 + 30).status == "already_booked"  # a retry's later clock
    with pytest.raises(LedgerError) as exc:
        create(db, plan_price="8.99")  # tier changed? still one create charge per server
    assert exc.value.code == "event_conflict"


def test_an_addon_books_the_prorated_charge_and_inherits_attribution(
    db: sqlite_utils.Database,
) -> None:
    create(db)
    booking = book_addon_attached(
        db,
        server_id="srv-1",
        addon_type="extra-ip",
        charged="1.67",
        monthly_price="5.00",
        currency="USD",
        charged_at=T0 + 20 * DAY,
        operation_id="op-9",
    )
    txn = journal.get(db, booking.event_id)
    assert booking.event_id == "addon:srv-1:extra-ip:op-9" and txn is not None
    assert [(p.account, p.amount) for p in txn.postings] == [
        ("Expenses:Otwa:Addons:Extra-ip", 167),
        ("Assets:Otwa:Wallet", -167),
    ]
    assert (txn.who.panel, txn.who.service_id, txn.who.product) == ("whmcs", "42", "starter")
    assert txn.metadata == {"addon_type": "extra-ip", "monthly": 500}


def test_a_renewal_books_once_per_period(db: sqlite_utils.Database) -> None:
    create(db)
    kw: dict[str, object] = {
        "server_id": "srv-1",
        "period_start": T0 + 30 * DAY,
        "plan_price": "7.99",
        "addons": {"backup": "2.00", "extra-ip": "5.00"},
        "currency": "USD",
        "charged_at": T0 + 30 * DAY + 2,
    }
    first = book_renewal(db, **kw)  # type: ignore[arg-type]
    again = book_renewal(db, **{**kw, "charged_at": T0 + 31 * DAY})  # type: ignore[arg-type]
    assert first.event_id == "renewal:srv-1:2026-12-01T02%3A26%3A40Z"
    assert first.booked and again.status == "already_booked"
    assert journal.balance(db, "Assets:Otwa:Wallet", "USD") == -999 - 1499
    txn = journal.get(db, first.event_id)
    assert txn is not None and txn.who.client_id == "7" and txn.kind == "renewal"
    nxt = book_renewal(db, **{**kw, "period_start": T0 + 60 * DAY})  # type: ignore[arg-type]
    assert nxt.booked and nxt.event_id != first.event_id


def test_an_unattributed_server_books_without_a_panel(db: sqlite_utils.Database) -> None:
    booking = book_renewal(
        db, server_id="adopted", period_start=T0, plan_price="3.00", currency="USD", charged_at=T0
    )
    txn = journal.get(db, booking.event_id)
    assert txn is not None and txn.who.panel is None and txn.who.server_id == "adopted"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"plan_price": "-7.99"}, "bad_amount"),
        ({"plan_price": 7.99}, "bad_amount"),
        ({"addons": {"backup": "2.001"}}, "amount_precision"),
        ({"server_id": ""}, "bad_field"),
        ({"renews_at": T0 - 1}, "bad_date"),
        ({"currency": "usd"}, "unknown_currency"),
    ],
)
def test_bad_charges_are_refused_and_change_nothing(
    db: sqlite_utils.Database, kw: dict[str, object], code: str
) -> None:
    with pytest.raises(LedgerError) as exc:
        create(db, **kw)
    assert exc.value.code == code
    assert db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0] == 0


def test_free_charges_book_nothing(db: sqlite_utils.Database) -> None:
    assert create(db, plan_price="0.00", addons={}).status == "nothing_to_book"
    free_addon = book_addon_attached(
        db,
        server_id="srv-1",
        addon_type="backup",
        charged="0",
        monthly_price="0",
        currency="USD",
        charged_at=T0,
        operation_id="op",
    )
    assert free_addon.status == "nothing_to_book"
    assert db.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone()[0] == 0


def test_a_server_ends_once(db: sqlite_utils.Database) -> None:
    assert mark_server_ended(db, server_id="srv-1", ended_at=T0) is True
    assert mark_server_ended(db, server_id="srv-1", ended_at=T0 + 5) is False
    assert db.execute("SELECT ended_at FROM ledger_server_ends").fetchall() == [(T0,)]
