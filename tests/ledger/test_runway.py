"""Wallet runway: the first renewal the wallet cannot pay, the top-up for N days, and the
inputs derived from the journal."""

from __future__ import annotations

import heapq

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.ledger import journal
from bridge.ledger.costs import book_renewal, mark_server_ended
from bridge.ledger.errors import LedgerError
from bridge.ledger.runway import Renewing, active_servers, runway, runway_from_journal
from tests.ledger.scenario import at, book_month

NOW = 1_793_500_000.0
DAY = 86400.0
PERIOD = 30 * DAY


def test_a_worked_example() -> None:
    servers = [Renewing("b", NOW + 10 * DAY, 999, "USD"), Renewing("a", NOW + 5 * DAY, 799, "USD")]
    way = runway(2000, "USD", servers, now=NOW)

    # a@5d 7.99 -> 12.01 left; b@10d 9.99 -> 2.02 left; a@35d 7.99 does not fit.
    assert (way.runs_out_at, way.unpaid_server, way.days_left) == (NOW + 35 * DAY, "a", 35)
    assert way.monthly == 1798
    assert way.topup_for(30) == 0
    assert way.topup_for(35) == 799 * 2 + 999 - 2000  # 5.97: a's second renewal
    assert way.due_within(39) == 799 * 2 + 999
    assert way.due_within(40) == 799 * 2 + 999 * 2  # b's second renewal is on day 40
    assert way.alert(7) is False and way.alert(35) is True
    assert way.to_dict(days=35)["topup"] == {"days": 35, "amount": "5.97"}
    assert way.to_dict()["runs_out_at"] == "2026-12-06T02:26:40Z"


def test_edges() -> None:
    assert runway(100, "USD", [], now=NOW).runs_out_at is None
    free = runway(-1, "USD", [Renewing("f", NOW, 0, "USD")], now=NOW)
    assert free.runs_out_at is None and free.topup_for(90) == 1
    mixed = [Renewing("f", NOW, 0, "USD"), Renewing("p", NOW + DAY, 5, "USD")]
    assert runway(-1, "USD", mixed, now=NOW).unpaid_server == "p"
    overdue = runway(500, "USD", [Renewing("o", NOW - 3 * DAY, 600, "USD")], now=NOW)
    assert (overdue.runs_out_at, overdue.days_left, overdue.topup_for(0)) == (NOW, 0, 100)
    broke = runway(-50, "USD", [Renewing("x", NOW + DAY, 1, "USD")], now=NOW)
    assert broke.runs_out_at == NOW + DAY
    exact = runway(1000, "USD", [Renewing("x", NOW + DAY, 1000, "USD")], now=NOW)
    assert exact.runs_out_at == NOW + DAY + PERIOD  # a balance of exactly one renewal pays it
    rich = runway(10**12, "USD", [Renewing("x", NOW, 1, "USD")], now=NOW)
    assert rich.runs_out_at == NOW + 10**12 * PERIOD  # no loop over 10^12 periods


@pytest.mark.parametrize(
    ("servers", "code"),
    [
        ([Renewing("x", NOW, 100, "EUR")], "currency_mismatch"),
        ([Renewing("x", NOW, -1, "USD")], "bad_amount"),
    ],
)
def test_bad_inputs(servers: list[Renewing], code: str) -> None:
    with pytest.raises(LedgerError) as exc:
        runway(100, "USD", servers, now=NOW)
    assert exc.value.code == code


def simulate(balance: int, servers: list[Renewing], now: float) -> tuple[float, str] | None:
    """The obvious loop: pay renewals one by one in time order until one does not fit."""
    heap = [(max(round(s.next_renewal), int(now)), s.server_id, s.monthly) for s in servers]
    heap = [item for item in heap if item[2]]  # a free renewal never fails
    if not heap:
        return None
    heapq.heapify(heap)
    while True:
        moment, server_id, monthly = heapq.heappop(heap)
        if monthly > balance:
            return float(moment), server_id
        balance -= monthly
        heapq.heappush(heap, (moment + int(PERIOD), server_id, monthly))


@settings(max_examples=300, deadline=None)
@given(
    balance=st.integers(min_value=-100, max_value=60_000),
    plan=st.lists(
        st.tuples(
            st.floats(min_value=-40 * DAY, max_value=40 * DAY, allow_nan=False),
            st.just(0) | st.integers(min_value=50, max_value=3000),  # keeps simulate() short
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_runway_matches_paying_renewals_one_by_one(
    balance: int, plan: list[tuple[float, int]]
) -> None:
    servers = [
        Renewing(f"s{i}", NOW + offset, cost, "USD") for i, (offset, cost) in enumerate(plan)
    ]
    way = runway(balance, "USD", servers, now=NOW)
    expected = simulate(balance, servers, NOW)
    assert (way.runs_out_at, way.unpaid_server) == (expected or (None, None))
    if expected is not None:
        # Topping up what the runway asks for covers everything due before the failure.
        days = int((expected[0] - NOW) // DAY)
        assert way.topup_for(days) + balance >= way.due_within(days)


def test_inputs_from_the_journal(db: sqlite_utils.Database) -> None:
    book_month(db)
    servers = {s.server_id: s for s in active_servers(db, now=at(30))}

    assert servers == {
        "srv-a": Renewing("srv-a", at(2) + PERIOD, 799 + 200, "USD"),
        "srv-b": Renewing("srv-b", at(3) + PERIOD, 1999 + 400, "USD"),  # + extra-ip monthly
        "adopted-1": Renewing("adopted-1", at(25) + PERIOD, 300, "USD"),
    }
    # A renewal that carries the add-on replaces the create; the add-on is not counted twice.
    book_renewal(
        db,
        server_id="srv-b",
        period_start=at(3) + PERIOD,
        plan_price="19.99",
        addons={"extra-ip": "4.00"},
        currency="USD",
        charged_at=at(3) + PERIOD,
    )
    mark_server_ended(db, server_id="srv-a", ended_at=at(30))
    journal.reverse(
        db,
        "renewal:adopted-1:2026-11-25T12%3A00%3A00Z",
        reason="not ours",
        new_event_id="fix:1",
        occurred_at=at(30),
    )
    assert active_servers(db, now=at(30)) == [Renewing("srv-b", at(3) + 2 * PERIOD, 2399, "USD")]


def test_runway_from_the_journal_uses_the_last_sample(db: sqlite_utils.Database) -> None:
    book_month(db)
    way = runway_from_journal(db, "USD", now=at(30, 23) + 60)

    assert way.balance == 11436  # the 114.36 sample, nothing booked since
    # 36.98 a period (9.99 + 23.99 + 3.00): three periods are paid (110.94), then srv-a's
    # fourth renewal (9.99) does not fit in the 3.42 left.
    assert (way.unpaid_server, way.runs_out_at) == ("srv-a", at(2) + 4 * PERIOD)
    assert simulate(11436, list(way.servers), way.now) == (at(2) + 4 * PERIOD, "srv-a")
    assert runway_from_journal(db, "EUR", now=at(30)).servers == ()
