"""The shared budget in one process, on a fake clock: limits, priorities, holds, storage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bridge.otwa import Budget, errors
from bridge.otwa.budget import key_id

KEY = "otwa_budget_test_key_123"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def ft() -> FakeTime:
    return FakeTime()


def make(tmp_path: Path, ft: FakeTime, **kw: object) -> Budget:
    return Budget(tmp_path / "b.sqlite", clock=ft.clock, sleep=ft.sleep, **kw)  # type: ignore[arg-type]


def test_background_stops_short_of_the_reserve(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=10, window=60.0)
    assert b.reserve == 1
    for _ in range(9):
        b.acquire(KEY, wait=0)
    with pytest.raises(errors.BudgetExhausted) as exc:
        b.acquire(KEY, wait=0)
    assert 59 < exc.value.retry_after <= 60
    b.acquire(KEY, priority="interactive", wait=0)  # the reserved slot
    with pytest.raises(errors.BudgetExhausted):
        b.acquire(KEY, priority="interactive", wait=0)
    assert b.usage(KEY) == {
        "used": 10,
        "interactive": 1,
        "background": 9,
        "limit": 10,
        "hold_all": 0.0,
        "hold_background": 0.0,
    }
    assert ft.slept == []  # wait=0 never sleeps


def test_waits_for_the_oldest_slot_to_age_out(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=4, window=10.0, reserve=0)
    start = ft.now
    for _ in range(4):
        b.acquire(KEY)
        ft.now += 1.0
    b.acquire(KEY)  # waits until the first grant (at start) leaves the window
    assert ft.now == pytest.approx(start + 10.0, abs=0.01)
    # Never more than `limit` grants in any window.
    assert b.usage(KEY)["used"] == 4


def test_gives_up_after_budget_wait(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=2, window=60.0, reserve=0)
    b.acquire(KEY)
    b.acquire(KEY)
    with pytest.raises(errors.BudgetExhausted):
        b.acquire(KEY, wait=5.0)
    assert sum(ft.slept) <= 5.0


def test_keys_have_separate_budgets_and_are_stored_hashed(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=1, window=60.0, reserve=0)
    b.acquire(KEY, wait=0)
    b.acquire("otwa_other_key_456789", wait=0)
    raw = (tmp_path / "b.sqlite").read_bytes()
    for suffix in ("-wal", "-shm"):
        extra = tmp_path / ("b.sqlite" + suffix)
        if extra.exists():
            raw += extra.read_bytes()
    assert KEY.encode() not in raw and b"otwa_other_key" not in raw
    rows = sqlite3.connect(tmp_path / "b.sqlite").execute("SELECT DISTINCT key FROM grants")
    assert {r[0] for r in rows} == {key_id(KEY), key_id("otwa_other_key_456789")}


def test_low_remaining_holds_background_only(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=90, window=60.0)
    b.observe(KEY, remaining=3, reset_after=20.0)
    with pytest.raises(errors.BudgetExhausted) as exc:
        b.acquire(KEY, wait=0)
    assert exc.value.retry_after == pytest.approx(20.0)
    b.acquire(KEY, priority="interactive", wait=0)
    b.acquire(KEY)  # background waits out the hold
    assert sum(ft.slept) == pytest.approx(20.0, abs=0.01)


def test_429_holds_everyone_until_reset_clamped_to_window(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=90, window=30.0)
    b.observe(KEY, limited=True, reset_after=500.0)  # clamped to one window
    for priority in ("interactive", "background"):
        with pytest.raises(errors.BudgetExhausted) as exc:
            b.acquire(KEY, priority=priority, wait=0)  # type: ignore[arg-type]
        assert exc.value.retry_after == pytest.approx(30.0)
    b.observe(KEY, remaining=50, reset_after=1.0)  # healthy responses change nothing
    b.acquire(KEY, priority="interactive")
    assert sum(ft.slept) == pytest.approx(30.0, abs=0.01)


def test_background_yields_to_a_waiting_interactive_caller(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=3, window=10.0, reserve=0)
    for _ in range(3):
        b.acquire(KEY, priority="interactive")
    # An interactive caller that cannot wait registers as a waiter before it gives up...
    conn = sqlite3.connect(tmp_path / "b.sqlite")
    conn.execute(
        "INSERT INTO waiters (id, key, until) VALUES ('w1', ?, ?)", (key_id(KEY), ft.now + 100)
    )
    conn.commit()
    ft.now += 10.0  # every slot is free again, but a waiter is registered
    with pytest.raises(errors.BudgetExhausted):
        b.acquire(KEY, wait=0)
    b.acquire(KEY, priority="interactive", wait=0)  # interactive callers are not blocked
    conn.execute("DELETE FROM waiters")
    conn.commit()
    b.acquire(KEY, wait=0)


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Budget(tmp_path / "x.sqlite", limit=0)
    with pytest.raises(ValueError):
        Budget(tmp_path / "x.sqlite").acquire(KEY, priority="urgent")  # type: ignore[arg-type]


def test_reserve_comes_from_settings(tmp_path) -> None:
    from bridge import runtime

    base = {"OTWA_BUDGET_PATH": str(tmp_path / "b.sqlite"), "OTWA_RATE_LIMIT": 90}
    default = runtime.build(base, env={})
    assert default.budget.reserve == 9 and default.otwa.budget is default.budget
    assert (
        default.settings.otwa_rate_reserve == 9
        and default.sources["otwa_rate_reserve"] == "default"
    )
    none = runtime.build(base, env={"BRIDGE_OTWA_RATE_RESERVE": "0"})
    assert none.budget.reserve == 0 and none.sources["otwa_rate_reserve"] == "env"
