"""The one rate-limit budget for Otwa calls, shared by every process on the machine.

Otwa allows 100 requests per window (a minute) per API key and says on every answer how many
are left (``X-RateLimit-Remaining``) and when its window ends (``X-RateLimit-Reset``). Every
gunicorn worker, job worker and CLI run uses the same key, so the budget lives outside any one
process: a small SQLite file (WAL, every decision inside one ``BEGIN IMMEDIATE``) that all
:class:`Budget` objects opened on the same path share. Per API key (only a SHA-256 prefix of
the key is stored, never the key), a call takes a slot, a ``grants`` row, *before* it is sent;
retries take their own slots. Whether a slot is free depends on what Otwa said last:

* **Learned** (an answer with Remaining came in the window that is still running): spend up
  to what Otwa says is left, less our requests it cannot have counted yet, a small ``margin``
  and what other users of the key are expected to spend before the reset
  (:mod:`bridge.otwa.budget_window` has the arithmetic). Up to Otwa's 100, not our own 90.
* **Probe** (that window has ended, no answer from the new one yet): up to ``probes`` requests
  at a time, whose answers tell the new window's state (one round trip per window).
* **Fallback** (no answer with Remaining within the last window, or ever): today's
  conservative sliding-window log, at most ``limit`` grants in any ``window`` seconds.
* **429**: every call holds until the reset (clamped to one window, plus ``grace``).

Priorities: ``interactive`` calls (a customer waiting: SSO, client area) may take every slot;
``background`` calls leave the last few slots of a window to them: ``reserve``, or one more than
interactive calls took a window lately if that is more. An interactive
caller that must wait leaves a short-lived "waiter" row, and background callers take no slot
while one exists: the interactive call gets the next free slot, so a click waits for the
next window only when Otwa itself is exhausted.

:meth:`Budget.acquire` waits up to ``wait`` seconds for a slot and otherwise raises
:class:`~bridge.otwa.errors.BudgetExhausted` (with ``retry_after``); ``wait=0`` never sleeps.
:meth:`Budget.observe` must be called, on the same thread, with the answer to the request
that the thread's last :meth:`Budget.acquire` was for: that is how an answer is matched to
its grant (and how the budget knows which requests are still in flight).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from bridge.otwa.budget_store import open_shared_db
from bridge.otwa.budget_window import Mode, Window, ceil_wait
from bridge.otwa.errors import BudgetExhausted
from bridge.sqlite_lock import begin_immediate

Priority = Literal["interactive", "background"]
PRIORITIES = ("interactive", "background")

SCHEMA_VERSION = 2
_SCHEMA = (
    # One row per slot taken; ``done`` is set when the answer to it was observed.
    """CREATE TABLE grants (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        at REAL NOT NULL,
        priority TEXT NOT NULL,
        done REAL
    )""",
    "CREATE INDEX grants_key_at ON grants (key, at)",
    # What Otwa last said about each key's window: bridge.otwa.budget_window.Window.
    """CREATE TABLE windows (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        remaining INTEGER,
        pending INTEGER NOT NULL,
        reset_at REAL NOT NULL,
        seen_at REAL NOT NULL,
        bare_at REAL NOT NULL,
        hold_until REAL NOT NULL,
        anchor_seq INTEGER NOT NULL,
        anchor_remaining INTEGER NOT NULL,
        anchor_pending INTEGER NOT NULL,
        anchor_at REAL NOT NULL,
        anchor_reset_at REAL NOT NULL,
        foreign_count INTEGER NOT NULL,
        foreign_rate REAL NOT NULL,
        measured INTEGER NOT NULL
    )""",
    # Interactive callers waiting for a slot: background callers yield while one exists.
    "CREATE TABLE waiters (id TEXT PRIMARY KEY, key TEXT NOT NULL, until REAL NOT NULL)",
)
# Version 1 (a sliding log only, before the budget learned from Otwa's headers).
_OLD_TABLES = ("grants", "holds", "waiters", "windows")


def key_id(api_key: str) -> str:
    """What the budget stores instead of the key: a SHA-256 prefix (not reversible)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:24]


class Budget:
    """A per-API-key request budget shared through one SQLite file (see module docstring).

    ``limit`` per ``window`` seconds is the fallback used while Otwa's headers are unknown
    (default 90 per 60 s: 10 % under Otwa's limit). ``reserve``: slots of a window that
    background calls leave to interactive ones (default 2). ``margin``: slots kept unspent
    below what Otwa says is left (default 2). ``probes``: requests at a time while a new
    window is unknown (default 1). ``grace``: seconds added to Otwa's reset time for clock
    skew (default ``window / 60``, 1 s of a minute). ``in_flight``: after how many seconds an
    unanswered request no longer counts as in flight (default ``min(window, 15)``). ``late``:
    the last seconds of a window in which one background call may take a held-back slot to
    see the window's end (default ``window / 20``, 3 s of a minute).

    Thread-safe and fork-safe (each process opens its own connection lazily).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "var/otwa-budget.sqlite",
        limit: int = 90,
        window: float = 60.0,
        *,
        reserve: int | None = None,
        margin: int = 2,
        probes: int = 1,
        grace: float | None = None,
        in_flight: float | None = None,
        late: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("budget limit must be >= 1 and window > 0")
        if margin < 0 or probes < 1:
            raise ValueError("budget margin must be >= 0 and probes >= 1")
        self.path = Path(path)
        self.limit = int(limit)
        self.window = float(window)
        self.reserve = max(0, min(self.limit - 1, 2 if reserve is None else int(reserve)))
        self.margin = int(margin)
        self.probes = int(probes)
        self.grace = self.window / 60 if grace is None else max(0.0, float(grace))
        self.in_flight = min(self.window, 15.0) if in_flight is None else float(in_flight)
        self.late = self.window / 20 if late is None else float(late)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._local = threading.local()  # this thread's last grant: (pid, key, id)
        # (key, priority) -> when a slot may free, as this process last found it (no DB).
        self._spent: dict[tuple[str, str], float] = {}
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def __repr__(self) -> str:
        return f"Budget(path={str(self.path)!r}, limit={self.limit}, window={self.window})"

    # -- storage ---------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            # Many processes may open a fresh file at once: open_shared_db retries the steps
            # SQLite refuses without waiting (the switch to WAL, the schema).
            conn = open_shared_db(
                self.path, schema=_SCHEMA, version=SCHEMA_VERSION, drop=_OLD_TABLES
            )
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            begin_immediate(conn, timeout=20.0, busy_timeout_ms=10000)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _window(self, conn: sqlite3.Connection, key: str) -> Window:
        row = conn.execute(
            f"SELECT {Window.columns()} FROM windows WHERE key = ?",  # noqa: S608
            (key,),
        ).fetchone()
        return Window.from_row(row)

    def _save(self, conn: sqlite3.Connection, key: str, w: Window) -> None:
        marks = ", ".join("?" * (len(w.values()) + 1))
        conn.execute(
            f"INSERT OR REPLACE INTO windows (key, {Window.columns()}) VALUES ({marks})",  # noqa: S608
            (key, *w.values()),
        )

    @staticmethod
    def _count(conn: sqlite3.Connection, sql: str, *args: Any) -> int:
        return int(conn.execute(f"SELECT count(*) FROM grants WHERE {sql}", args).fetchone()[0])  # noqa: S608

    # -- the budget --------------------------------------------------------------------

    def _poll(self) -> float:
        return min(0.05, max(0.002, self.window / 50))

    def _room(
        self, conn: sqlite3.Connection, key: str, w: Window, mode: Mode, now: float, needed: int
    ) -> tuple[int, float]:
        """(free slots, seconds until ``needed`` may be free) in the current mode."""
        if mode == "learned":
            after = self._count(conn, "key = ? AND id > ?", key, w.seq)
            free = w.free(after=after, margin=self.margin, window=self.window)
            delay = w.reset_at + self.grace - now
            if self._count(conn, "key = ? AND done IS NULL AND at > ?", key, now - self.in_flight):
                delay = min(delay, self._poll())  # an answer on its way may show more room
            return free, delay
        if mode == "probe":
            turned = w.reset_at + self.grace
            asking = self._count(
                conn, "key = ? AND done IS NULL AND at >= ? AND at > ?",
                key, turned, now - self.in_flight,
            )  # fmt: skip
            return self.probes - asking, self._poll()
        used = self._count(conn, "key = ? AND at > ?", key, now - self.window)
        free = self.limit - used
        if free >= needed:
            return free, 0.0
        # `needed` are free once the (needed - free)-th oldest grant has left the window.
        row = conn.execute(
            "SELECT at FROM grants WHERE key = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
            (key, now - self.window, needed - free - 1),
        ).fetchone()
        return free, (row[0] + self.window - now) if row else self._poll()

    def _held_back(self, conn: sqlite3.Connection, key: str, now: float) -> int:
        """Slots background calls leave free for interactive ones: ``reserve``, or one more
        than interactive calls took a window on average over the last two, when that is
        more (clicks come in runs that do not line up with Otwa's window; at most a quarter
        of the limit). Probes are never held back: they are how a new window gets known."""
        recent = self._count(
            conn, "key = ? AND priority = 'interactive' AND at > ?", key, now - 2 * self.window
        )
        wanted = -(-recent // 2) + 1 if recent else 0
        return max(self.reserve, min(wanted, self.limit // 4))

    def _late(self, conn: sqlite3.Connection, key: str, w: Window, now: float) -> bool:
        """Whether a background call may take the window's late slot: in its last ``late``
        seconds, once, while nothing is in flight. Its answer shows what other users spent
        over (nearly) the whole window, where the answers of a burst at the window's start
        show only a sliver of it; and it uses a held-back slot no click needed. Not before
        their pace was measured over a whole window: until then the slot may be theirs."""
        if not w.reset_at - self.late <= now < w.reset_at or w.seen_at >= w.reset_at - self.late:
            return False
        if not w.measured:
            return False
        return not self._count(conn, "key = ? AND id > ?", key, w.seq)

    def _try_take(self, conn: sqlite3.Connection, key: str, priority: str, waiter: str) -> float:
        """Take a slot (return 0.0) or return the seconds until one may free up."""
        now = self._clock()
        # Two windows of history: enough for every count the modes make.
        conn.execute("DELETE FROM grants WHERE key = ? AND at <= ?", (key, now - 2 * self.window))
        conn.execute("DELETE FROM waiters WHERE until < ?", (now,))
        w = self._window(conn, key)
        interactive = priority == "interactive"
        mode = w.mode(now, window=self.window, grace=self.grace)
        if w.hold_until > now:
            delay = w.hold_until - now
        elif (
            not interactive
            and conn.execute("SELECT 1 FROM waiters WHERE key = ? LIMIT 1", (key,)).fetchone()
        ):
            delay = self._poll()  # an interactive caller is waiting: let it go first
        else:
            late = mode == "learned" and self._late(conn, key, w, now)
            if interactive or mode == "probe":
                needed = 1
            elif late:
                needed = 2  # the late slot still leaves one for a click
            else:
                needed = self._held_back(conn, key, now) + 1
            free, delay = self._room(conn, key, w, mode, now, needed)
            if mode == "learned" and not interactive and w.seen_at < w.reset_at - self.late:
                # Wake for the late slot rather than sleeping through it to the reset.
                until_late = w.reset_at - self.late - now
                delay = min(delay, until_late if until_late > 0 else self._poll())
            if free >= needed:
                cursor = conn.execute(
                    "INSERT INTO grants (key, at, priority) VALUES (?, ?, ?)", (key, now, priority)
                )
                if interactive:
                    conn.execute("DELETE FROM waiters WHERE id = ?", (waiter,))
                self._local.grant = (os.getpid(), key, cursor.lastrowid)
                return 0.0
            delay = ceil_wait(delay)
        if interactive:
            conn.execute(
                "INSERT OR REPLACE INTO waiters (id, key, until) VALUES (?, ?, ?)",
                (waiter, key, now + min(delay, self._poll() * 4) + self._poll() * 4),
            )
        return delay

    def acquire(
        self, api_key: str, *, priority: Priority = "background", wait: float | None = None
    ) -> None:
        """Take one slot for ``api_key``, waiting at most ``wait`` seconds (None: ``2*window``
        for background, ``1.25*window`` for interactive: a 429 hold lasts at most one window).
        Raises ``BudgetExhausted`` at once when the wait needed is longer than that."""
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, not {priority!r}")
        if wait is None:
            wait = (1.25 if priority == "interactive" else 2.0) * self.window
        key = key_id(api_key)
        waiter = uuid.uuid4().hex
        deadline = self._clock() + max(0.0, wait)
        self._local.grant = None
        try:
            while True:
                with self._tx() as conn:
                    delay = self._try_take(conn, key, priority, waiter)
                if delay <= 0:
                    self._spent.pop((key, priority), None)
                    return
                left = deadline - self._clock()
                if delay > left:
                    self._spent[(key, priority)] = self._clock() + delay
                    raise BudgetExhausted(
                        f"no Otwa budget slot for a {priority} call within {wait:g}s",
                        retry_after=round(delay, 3),
                    )
                # Interactive callers re-check often (the waiter row expires unless renewed).
                step = min(delay, self._poll() * 2) if priority == "interactive" else delay
                self._sleep(min(step, left, self.window))
        finally:
            if priority == "interactive":
                with self._tx() as conn:
                    conn.execute("DELETE FROM waiters WHERE id = ?", (waiter,))

    def spent_until(self, api_key: str, *, priority: Priority = "background") -> float | None:
        """When a slot for ``priority`` may free up, as this process last found it, while
        that is still ahead; None when it found a slot since (or never looked).

        No database access: a hint for a caller that would only queue the work anyway, such
        as hook intake in a burst (it records the job for then instead of trying and
        failing). It can be stale in one direction only: another process may have learned
        of a new window sooner, so work queued until then starts a little late, never early.
        """
        until = self._spent.get((key_id(api_key), priority))
        if until is None or until <= self._clock():
            return None
        return until

    def observe(
        self,
        api_key: str,
        *,
        remaining: int | None = None,
        reset_after: float | None = None,
        limited: bool = False,
    ) -> None:
        """Feed back the answer to this thread's last granted request: Otwa's
        ``X-RateLimit-Remaining`` (None when absent), its reset as seconds from now (None
        when absent; clamped to one window) and whether it was a 429 (every call then holds
        until the reset). Called without a grant on this thread (e.g. by a client sharing no
        budget), the answer is taken as if every request in flight were still uncounted."""
        key = key_id(api_key)
        mine = getattr(self._local, "grant", None)
        self._local.grant = None
        grant = mine[2] if mine and mine[0] == os.getpid() and mine[1] == key else None
        wait = self.window if reset_after is None else min(max(reset_after, 0.0), self.window)
        with self._tx() as conn:
            now = self._clock()
            if grant is not None:
                conn.execute("UPDATE grants SET done = ? WHERE id = ?", (now, grant))
            w = self._window(conn, key)
            if limited:
                w.hold_until = max(w.hold_until, now + wait + self.grace)
                for priority in PRIORITIES:  # a 429 holds every call until the reset
                    self._spent[(key, priority)] = w.hold_until
            if limited:
                # The hold above is the whole answer to a 429. Its Remaining (0) says nothing
                # about how the window was spent: a 429 from a proxy, or Otwa refusing early,
                # read as counts would book phantom spending on another user of the key.
                pass
            elif remaining is None:
                w.bare_at = now
            else:
                self._learn(conn, key, w, grant, max(0, int(remaining)), now + wait, now)
            self._save(conn, key, w)

    def _learn(
        self,
        conn: sqlite3.Connection,
        key: str,
        w: Window,
        grant: int | None,
        remaining: int,
        reset_at: float,
        now: float,
    ) -> None:
        in_flight = "key = ? AND done IS NULL AND at > ?"
        if grant is None:
            # Unknown request: assume it was the newest and every other is still uncounted.
            (newest,) = conn.execute(
                "SELECT coalesce(max(id), 0) FROM grants WHERE key = ?", (key,)
            ).fetchone()
            seq = int(newest)
            pending = self._count(conn, in_flight, key, now - self.in_flight)
        else:
            seq = grant
            pending = self._count(conn, in_flight + " AND id < ?", key, now - self.in_flight, seq)
        if w.remaining is not None and seq < w.seq:
            self._settle(conn, w, grant, remaining)
            return
        ours = self._count(conn, "key = ? AND id > ? AND id <= ?", key, w.anchor_seq, seq)
        ours_after = self._count(conn, "key = ? AND id > ?", key, seq)
        w.observe(
            seq=seq,
            remaining=remaining,
            pending=pending,
            reset_at=reset_at,
            now=now,
            ours_since_anchor=ours,
            ours_after=ours_after,
            window=self.window,
        )

    def _settle(
        self, conn: sqlite3.Connection, w: Window, grant: int | None, remaining: int
    ) -> None:
        """An answer to a request older than the newest answered one: if it was counted as
        in flight there, settle it, or its slot stays lost for the rest of the window (with
        many processes the newest answer often comes first, and no newer one comes once the
        window is spent). A higher Remaining than the newest answer's means Otwa counted it
        before that one (it is in that Remaining already); otherwise it is counted now."""
        if grant is None or w.pending <= 0 or w.remaining is None:
            return
        row = conn.execute("SELECT at FROM grants WHERE id = ?", (grant,)).fetchone()
        if row is None or row[0] <= w.seen_at - self.in_flight:
            return  # it had already stopped counting as in flight
        w.pending -= 1
        if remaining <= w.remaining:
            w.remaining -= 1

    def usage(self, api_key: str) -> dict[str, Any]:
        """The key's state now (for metrics and tests): grants in the last window by
        priority, the mode, the free slots it sees (for an interactive call) and the hold."""
        key = key_id(api_key)
        with self._tx() as conn:
            now = self._clock()
            rows = conn.execute(
                "SELECT priority, count(*) FROM grants WHERE key = ? AND at > ? GROUP BY priority",
                (key, now - self.window),
            ).fetchall()
            w = self._window(conn, key)
            mode = w.mode(now, window=self.window, grace=self.grace)
            free, _ = self._room(conn, key, w, mode, now, 1)
        by_priority = dict(rows)
        return {
            "used": sum(by_priority.values()),
            "interactive": by_priority.get("interactive", 0),
            "background": by_priority.get("background", 0),
            "limit": self.limit,
            "mode": mode,
            "free": free,
            "remaining": w.remaining,
            "foreign": w.foreign_expected(window=self.window) if mode == "learned" else 0,
            "hold_all": max(0.0, w.hold_until - now),
        }

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
