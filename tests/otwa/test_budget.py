"""The shared budget in one process, on a fake clock: the fallback log, learning Otwa's window
from its headers, requests in flight, other users of the key, priorities, holds, storage.

Otwa's side is a fixed-window counter like the sandbox's (``FixedWindow``); the real thing,
over HTTP and across processes, is in test_budget_processes.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bridge.otwa import Budget, errors
from bridge.otwa.budget import key_id

KEY = "otwa_budget_test_key_123"
T = TypeVar("T")


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FixedWindow:
    """Otwa's limit as the sandbox counts it: ``limit`` per ``window`` seconds, the window
    opening with the first request after the previous one ended; every request counts."""

    def __init__(self, limit: int = 100, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.start, self.count = -1e18, 0
        self.counts: dict[float, int] = {}  # requests per window, by window start

    def hit(self, now: float) -> tuple[bool, int, float]:
        """(allowed, X-RateLimit-Remaining, seconds until the reset)."""
        if now >= self.start + self.window:
            self.start, self.count = now, 0
        self.count += 1
        self.counts[self.start] = self.count
        return (
            self.count <= self.limit,
            max(0, self.limit - self.count),
            self.start + self.window - now,
        )


class Caller:
    """A thread of its own (the budget matches an answer to the grant of the same thread)."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)

    def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.pool.submit(fn, *args, **kwargs).result()


@pytest.fixture
def ft() -> FakeTime:
    return FakeTime()


@pytest.fixture
def callers() -> Iterator[Callable[[], Caller]]:
    made: list[Caller] = []

    def make() -> Caller:
        made.append(Caller())
        return made[-1]

    yield make
    for caller in made:
        caller.pool.shutdown()


def make(tmp_path: Path, ft: FakeTime, **kw: Any) -> Budget:
    return Budget(tmp_path / "b.sqlite", clock=ft.clock, sleep=ft.sleep, **kw)


def send(b: Budget, otwa: FixedWindow, ft: FakeTime, rtt: float = 0.0, **kw: Any) -> bool:
    """One call as the client makes it: a slot, the request, the answer fed back."""
    b.acquire(KEY, **kw)
    ft.now += rtt
    allowed, remaining, reset = otwa.hit(ft.now)
    b.observe(KEY, remaining=remaining, reset_after=reset, limited=not allowed)
    return allowed


def burst(b: Budget, otwa: FixedWindow, ft: FakeTime, **kw: Any) -> int:
    """Send with wait=0 until the budget says no; return how many went."""
    sent = 0
    while True:
        try:
            assert send(b, otwa, ft, wait=0, **kw)
        except errors.BudgetExhausted:
            return sent
        sent += 1


# -- the fallback: no headers seen -----------------------------------------------------------


def test_fallback_background_stops_short_of_the_reserve(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=10, window=60.0)
    assert b.reserve == 2
    for _ in range(8):
        b.acquire(KEY, wait=0)
    with pytest.raises(errors.BudgetExhausted) as exc:
        b.acquire(KEY, wait=0)
    assert 59 < exc.value.retry_after <= 60
    b.acquire(KEY, priority="interactive", wait=0)  # the held-back slots
    b.acquire(KEY, priority="interactive", wait=0)
    with pytest.raises(errors.BudgetExhausted):
        b.acquire(KEY, priority="interactive", wait=0)
    usage = b.usage(KEY)
    assert (usage["mode"], usage["used"], usage["interactive"]) == ("fallback", 10, 2)
    assert ft.slept == []  # wait=0 never sleeps


def test_fallback_waits_for_the_oldest_slot_to_age_out(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=4, window=10.0, reserve=0)
    start = ft.now
    for _ in range(4):
        b.acquire(KEY)
        ft.now += 1.0
    b.acquire(KEY)  # waits until the first grant (at start) leaves the window
    assert ft.now == pytest.approx(start + 10.0, abs=0.01)
    assert b.usage(KEY)["used"] == 4


def test_answers_without_headers_keep_the_fallback(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=5, window=60.0, reserve=0)
    for _ in range(5):
        b.acquire(KEY, wait=0)
        b.observe(KEY)
    with pytest.raises(errors.BudgetExhausted):
        b.acquire(KEY, wait=0)


def test_gives_up_after_budget_wait(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=2, window=60.0, reserve=0)
    b.acquire(KEY)
    b.acquire(KEY)
    with pytest.raises(errors.BudgetExhausted):
        b.acquire(KEY, wait=5.0)
    assert sum(ft.slept) <= 5.0


def test_spent_until_is_what_this_process_last_found_without_a_database_trip(
    tmp_path: Path, ft: FakeTime
) -> None:
    b = make(tmp_path, ft, limit=2, window=60.0, reserve=0)
    assert b.spent_until(KEY) is None  # never looked
    b.acquire(KEY)
    b.acquire(KEY)
    with pytest.raises(errors.BudgetExhausted) as exc:
        b.acquire(KEY, wait=0)
    until = b.spent_until(KEY)
    assert until == pytest.approx(ft.now + exc.value.retry_after)
    assert b.spent_until(KEY, priority="interactive") is None  # that priority was not refused
    b.close()  # no connection needed to answer
    assert b.spent_until(KEY) == until
    ft.now = until + 0.001
    assert b.spent_until(KEY) is None  # the moment has passed: ask the budget again
    b.acquire(KEY)
    assert b.spent_until(KEY) is None
    b.observe(KEY, limited=True, reset_after=10.0)  # a 429 holds every priority
    assert b.spent_until(KEY, priority="interactive") == pytest.approx(ft.now + 10.0 + b.grace)


# -- learning Otwa's window ------------------------------------------------------------------


def test_spends_what_otwa_says_is_left(tmp_path: Path, ft: FakeTime) -> None:
    """Past the fallback's 90, up to Otwa's 100 less the margin; the held-back slots go to
    interactive calls only; then everyone waits for Otwa's reset."""
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    assert burst(b, otwa, ft) == 100 - b.margin - b.reserve == 96
    assert b.usage(KEY)["mode"] == "learned"
    assert burst(b, otwa, ft, priority="interactive") == b.reserve
    with pytest.raises(errors.BudgetExhausted) as exc:
        b.acquire(KEY, priority="interactive", wait=0)
    assert exc.value.retry_after == pytest.approx(60.0 + b.grace)
    assert otwa.count == 98 and ft.slept == []


def test_every_window_close_to_the_limit_and_never_over(tmp_path: Path, ft: FakeTime) -> None:
    """Background calls that wait (on the fake clock) for 5 windows: each window of Otwa's
    holds 97 of ours (100 less the margin and the held-back slots, plus the one late slot
    near the end; not in the first window, before anyone's pace is known), never a 429. A
    new window starts with one probe, whose answer tells the budget the window is fresh."""
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    end = ft.now + 5 * 60.0 - 1
    while ft.now < end:
        assert send(b, otwa, ft, rtt=0.01)
    assert list(otwa.counts.values())[:5] == [96] + [97] * 4


def test_probe_one_at_a_time_after_the_reset(
    tmp_path: Path, ft: FakeTime, callers: Callable[[], Caller]
) -> None:
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    burst(b, otwa, ft)
    ft.now += 60.0 + b.grace
    first, second = callers(), callers()
    first(b.acquire, KEY, wait=0)
    assert b.usage(KEY)["mode"] == "probe"
    with pytest.raises(errors.BudgetExhausted):  # the window is unknown until it is answered
        second(b.acquire, KEY, wait=0)
    allowed, remaining, reset = otwa.hit(ft.now)
    first(b.observe, KEY, remaining=remaining, reset_after=reset)
    assert b.usage(KEY)["mode"] == "learned"
    second(b.acquire, KEY, wait=0)


def test_requests_in_flight_count_until_answered(
    tmp_path: Path, ft: FakeTime, callers: Callable[[], Caller]
) -> None:
    """Three requests in flight; Otwa answers the newest first, before it counted the other
    two. The budget must still count them, and answers to older requests change nothing."""
    b = make(tmp_path, ft, limit=90, window=60.0, margin=2)
    a, c, newest = callers(), callers(), callers()
    for caller in (a, c, newest):
        caller(b.acquire, KEY, wait=0)
    newest(b.observe, KEY, remaining=99, reset_after=60.0)
    assert b.usage(KEY)["free"] == 99 - 2 - 2  # the other two, then the margin
    a(b.observe, KEY, remaining=98, reset_after=60.0)
    c(b.observe, KEY, remaining=97, reset_after=60.0)
    assert b.usage(KEY)["free"] == 97 - 2  # Otwa has 97 left; the answers agreed


def test_late_answers_to_older_requests_give_their_slots_back(
    tmp_path: Path, ft: FakeTime, callers: Callable[[], Caller]
) -> None:
    """Otwa counted the two older requests first, but their answers come after the newest
    one's. Counted as in flight meanwhile, they are settled when their answers come, instead
    of holding two slots until the window ends."""
    b = make(tmp_path, ft, limit=90, window=60.0, margin=2)
    a, c, newest = callers(), callers(), callers()
    for caller in (a, c, newest):
        caller(b.acquire, KEY, wait=0)
    newest(b.observe, KEY, remaining=97, reset_after=60.0)
    assert b.usage(KEY)["free"] == 97 - 2 - 2
    a(b.observe, KEY, remaining=99, reset_after=60.0)
    c(b.observe, KEY, remaining=98, reset_after=60.0)
    assert b.usage(KEY)["free"] == 97 - 2


def test_an_answer_without_its_grant_is_taken_conservatively(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=90, window=60.0, margin=0)
    b.acquire(KEY, wait=0)
    b.acquire(KEY, wait=0)  # this thread's grant is now the second one
    Budget(tmp_path / "b.sqlite", clock=ft.clock).observe(KEY, remaining=50, reset_after=30.0)
    assert b.usage(KEY)["free"] == 50 - 2  # both taken as uncounted


def test_other_users_of_the_key_are_left_their_pace(tmp_path: Path, ft: FakeTime) -> None:
    """Someone else spends 30 requests a window, evenly, on the same key, outside the budget.
    Once the budget has seen them for a window, neither side meets a 429 and each Otwa
    window stays within its limit; the budget takes what is left."""
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    pace = 60.0 / 30
    theirs = [ft.now + pace * (i + 0.5) for i in range(30 * 6)]
    refused: list[float] = []

    def others_until(t: float) -> None:
        while theirs and theirs[0] <= t:
            at = theirs.pop(0)
            allowed, _, _ = otwa.hit(at)
            if not allowed:
                refused.append(at)

    start = ft.now
    ours: list[float] = []
    while ft.now < start + 6 * 60.0:
        b.acquire(KEY)
        others_until(ft.now)
        ft.now += 0.05
        allowed, remaining, reset = otwa.hit(ft.now)
        assert allowed, "a 429 reached the budget"
        ours.append(ft.now)
        b.observe(KEY, remaining=remaining, reset_after=reset)
    assert all(count <= 100 for count in otwa.counts.values())
    # The first window taught the budget their pace; none of theirs refused after it.
    assert [t for t in refused if t > start + 2 * 60.0] == []
    per_window = [sum(s <= t < s + 60.0 for t in ours) for s in list(otwa.counts)[2:5]]
    assert all(55 <= n <= 70 for n in per_window), per_window


def test_429_holds_everyone_until_reset_clamped_to_window(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=90, window=30.0)
    b.acquire(KEY)
    b.observe(KEY, limited=True, reset_after=500.0)  # clamped to one window
    for priority in ("interactive", "background"):
        with pytest.raises(errors.BudgetExhausted) as exc:
            b.acquire(KEY, priority=priority, wait=0)
        assert exc.value.retry_after == pytest.approx(30.0 + b.grace)
    b.acquire(KEY, priority="interactive")
    assert sum(ft.slept) == pytest.approx(30.0 + b.grace, abs=0.01)


def test_stale_headers_fall_back(tmp_path: Path, ft: FakeTime) -> None:
    b = make(tmp_path, ft, limit=90, window=60.0)
    b.acquire(KEY)
    b.observe(KEY, remaining=99, reset_after=60.0)
    assert b.usage(KEY)["mode"] == "learned"
    ft.now += 60.0 + b.grace
    assert b.usage(KEY)["mode"] == "probe"  # the window ended: ask before spending
    ft.now += 60.0
    assert b.usage(KEY)["mode"] == "fallback"  # and nobody asked for a whole window


# -- priorities ------------------------------------------------------------------------------


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


def test_held_back_slots_follow_interactive_demand(tmp_path: Path, ft: FakeTime) -> None:
    """Ten clicks over the last two windows: background now leaves six slots, not two."""
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    for _ in range(5):
        assert send(b, otwa, ft, priority="interactive", wait=0)
    ft.now += 60.0 + b.grace  # the next window
    for _ in range(5):
        assert send(b, otwa, ft, priority="interactive", wait=0)
    assert burst(b, otwa, ft) == 100 - 5 - b.margin - 6
    assert burst(b, otwa, ft, priority="interactive") == 6


# -- storage and arguments -------------------------------------------------------------------


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


def test_a_file_of_the_previous_version_is_upgraded(tmp_path: Path, ft: FakeTime) -> None:
    old = sqlite3.connect(tmp_path / "b.sqlite")
    old.executescript(
        "CREATE TABLE grants (key TEXT NOT NULL, at REAL NOT NULL, priority TEXT NOT NULL);"
        "CREATE TABLE holds (key TEXT PRIMARY KEY, all_until REAL, background_until REAL);"
        "INSERT INTO grants VALUES ('k', 1.0, 'background');"
    )
    old.close()
    b = make(tmp_path, ft, limit=90, window=60.0)
    b.acquire(KEY, wait=0)
    b.observe(KEY, remaining=99, reset_after=60.0)
    assert b.usage(KEY)["mode"] == "learned"


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Budget(tmp_path / "x.sqlite", limit=0)
    with pytest.raises(ValueError):
        Budget(tmp_path / "x.sqlite", margin=-1)
    with pytest.raises(ValueError):
        Budget(tmp_path / "x.sqlite").acquire(KEY, priority="urgent")  # type: ignore[arg-type]


def test_reserve_comes_from_settings(tmp_path) -> None:
    from bridge import runtime

    base = {"OTWA_BUDGET_PATH": str(tmp_path / "b.sqlite"), "OTWA_RATE_LIMIT": 90}
    default = runtime.build(base, env={})
    assert default.budget.reserve == 2 and default.otwa.budget is default.budget
    assert (
        default.settings.otwa_rate_reserve == 2
        and default.sources["otwa_rate_reserve"] == "default"
    )
    none = runtime.build(base, env={"BRIDGE_OTWA_RATE_RESERVE": "0"})
    assert none.budget.reserve == 0 and none.sources["otwa_rate_reserve"] == "env"


def test_a_burst_by_another_user_is_forgotten_once_it_stops(tmp_path: Path, ft: FakeTime) -> None:
    """Another user spends 80 of one window at once, then nothing more. The pace the budget
    learned from that window must fade (it stops sending, so it measures nothing later):
    within a few windows it takes close to Otwa's whole limit again."""
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    start = ft.now
    b.acquire(KEY)
    _, remaining, reset = otwa.hit(ft.now)
    b.observe(KEY, remaining=remaining, reset_after=reset)
    for _ in range(80):  # the other user's burst, right after our first answer
        otwa.hit(ft.now + 0.01)
    ours: list[float] = []
    while ft.now < start + 10 * 60.0:
        b.acquire(KEY)
        ft.now += 0.05
        allowed, remaining, reset = otwa.hit(ft.now)
        assert allowed, "a 429 reached the budget"
        ours.append(ft.now)
        b.observe(KEY, remaining=remaining, reset_after=reset)
    assert all(count <= 100 for count in otwa.counts.values())
    starts = list(otwa.counts)
    late = [sum(s <= t < s + 60.0 for t in ours) for s in starts[-3:-1]]
    assert all(n >= 90 for n in late), late


def test_a_429_is_a_hold_not_a_count_of_other_users(tmp_path: Path, ft: FakeTime) -> None:
    """A 429 that says Remaining 0 while Otwa's window still had room (a proxy, a fault, Otwa
    refusing early) holds every call until the reset, and is not read as another user's
    spending: after the hold the budget takes close to the whole window again."""
    b = make(tmp_path, ft, limit=90, window=60.0)
    otwa = FixedWindow()
    start = ft.now
    for _ in range(3):  # a few answers spread over the window's first seconds
        b.acquire(KEY)
        ft.now += 2.0
        _, remaining, reset = otwa.hit(ft.now)
        b.observe(KEY, remaining=remaining, reset_after=reset)
    b.acquire(KEY)
    # A 429 with room left, the last answer of its window: everyone holds until the reset.
    b.observe(KEY, remaining=0, reset_after=reset, limited=True)
    assert b.usage(KEY)["foreign"] == 0
    ours: list[float] = []
    while ft.now < start + 4 * 60.0:
        b.acquire(KEY)
        ft.now += 0.05
        allowed, remaining, reset = otwa.hit(ft.now)
        assert allowed, "a 429 reached the budget"
        ours.append(ft.now)
        b.observe(KEY, remaining=remaining, reset_after=reset)
    starts = list(otwa.counts)
    later = [sum(s <= t < s + 60.0 for t in ours) for s in starts[1:3]]
    assert all(n >= 90 for n in later), later
