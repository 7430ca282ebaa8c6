"""The one rate-limit budget for Otwa calls, shared by every process on the machine.

Otwa allows 100 requests a minute per API key. Every gunicorn worker, job worker and CLI
run talks to Otwa with the same key, so the budget must live outside any one process:
it is a small SQLite file (WAL, every change inside ``BEGIN IMMEDIATE``) that all
:class:`Budget` objects opened on the same path share.

Model (per API key; only a SHA-256 prefix of the key is stored, never the key):

* **Sliding-window log.** A call takes a slot, a row ``(key, at)``, *before* it is sent;
  retries take their own slots. At most ``limit`` rows may fall in any ``window``
  seconds (default 90 per 60 s, leaving 10 of Otwa's 100 for clock skew and humans).
* **Priorities.** ``interactive`` calls (a customer waiting: SSO, client area) may use
  every slot; ``background`` calls (polling, provisioning jobs) may not take the last
  ``reserve`` slots (default 10 % of ``limit``). While an interactive caller is waiting,
  it leaves a "waiter" row, and background callers yield: they take no slot until it has
  been served. So an interactive call under full background load waits at most for the
  oldest slot to age out, and usually not at all.
* **Server hints.** :meth:`Budget.observe` feeds back each response: when Otwa says
  ``X-RateLimit-Remaining`` is low (<= ``low_water``), background calls hold until the
  reset; when it says 0 or answers 429, every call holds until the reset. Reset waits are
  clamped to ``window`` (the reset can't be further away than one window, and clamping
  tolerates a provider or sandbox clock that differs from ours).

:meth:`Budget.acquire` waits up to ``wait`` seconds for a slot and otherwise raises
:class:`~bridge.otwa.errors.BudgetExhausted` (with ``retry_after``); ``wait=0`` never sleeps.
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
from bridge.otwa.errors import BudgetExhausted
from bridge.sqlite_lock import begin_immediate

Priority = Literal["interactive", "background"]
PRIORITIES = ("interactive", "background")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS grants (
        key TEXT NOT NULL, at REAL NOT NULL, priority TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS grants_key_at ON grants (key, at)",
    """CREATE TABLE IF NOT EXISTS holds (
        key TEXT PRIMARY KEY,
        all_until REAL NOT NULL DEFAULT 0,
        background_until REAL NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS waiters (
        id TEXT PRIMARY KEY, key TEXT NOT NULL, until REAL NOT NULL
    )""",
)


def key_id(api_key: str) -> str:
    """What the budget stores instead of the key: a SHA-256 prefix (not reversible)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:24]


class Budget:
    """A per-API-key request budget shared through one SQLite file (see module docstring).

    Thread-safe and fork-safe (each process opens its own connection lazily).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "var/otwa-budget.sqlite",
        limit: int = 90,
        window: float = 60.0,
        *,
        reserve: int | None = None,
        low_water: int = 5,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("budget limit must be >= 1 and window > 0")
        self.path = Path(path)
        self.limit = int(limit)
        self.window = float(window)
        self.reserve = (
            min(self.limit - 1, max(1, round(self.limit * 0.1)))
            if reserve is None
            else max(0, min(self.limit - 1, reserve))
        )
        self.low_water = low_water
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def __repr__(self) -> str:
        return f"Budget(path={str(self.path)!r}, limit={self.limit}, window={self.window})"

    # -- storage ---------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            # Many processes may open a fresh file at once: open_shared_db retries the steps
            # SQLite refuses without waiting (the switch to WAL, the schema).
            conn = open_shared_db(self.path, schema=_SCHEMA, version=1)
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

    # -- the budget --------------------------------------------------------------------

    def _poll(self) -> float:
        return min(0.05, max(0.002, self.window / 50))

    def _try_take(self, conn: sqlite3.Connection, key: str, priority: str, waiter: str) -> float:
        """Take a slot (return 0.0) or return the seconds until one may free up."""
        now = self._clock()
        conn.execute("DELETE FROM grants WHERE key = ? AND at <= ?", (key, now - self.window))
        conn.execute("DELETE FROM waiters WHERE until < ?", (now,))
        hold = conn.execute(
            "SELECT all_until, background_until FROM holds WHERE key = ?", (key,)
        ).fetchone()
        all_until, background_until = hold if hold else (0.0, 0.0)
        interactive = priority == "interactive"
        if all_until > now:
            delay = all_until - now
        elif not interactive and background_until > now:
            delay = background_until - now
        elif (
            not interactive
            and conn.execute("SELECT 1 FROM waiters WHERE key = ? LIMIT 1", (key,)).fetchone()
        ):
            delay = self._poll()  # an interactive caller is waiting: let it go first
        else:
            cap = self.limit if interactive else self.limit - self.reserve
            (used,) = conn.execute("SELECT count(*) FROM grants WHERE key = ?", (key,)).fetchone()
            if used < cap:
                conn.execute(
                    "INSERT INTO grants (key, at, priority) VALUES (?, ?, ?)", (key, now, priority)
                )
                if interactive:
                    conn.execute("DELETE FROM waiters WHERE id = ?", (waiter,))
                return 0.0
            # The slot frees when the (used - cap + 1)-th oldest grant leaves the window.
            (oldest,) = conn.execute(
                "SELECT at FROM grants WHERE key = ? ORDER BY at LIMIT 1 OFFSET ?",
                (key, used - cap),
            ).fetchone()
            delay = max(oldest + self.window - now, 0.0005)
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
        try:
            while True:
                with self._tx() as conn:
                    delay = self._try_take(conn, key, priority, waiter)
                if delay <= 0:
                    return
                left = deadline - self._clock()
                if delay > left:
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

    def observe(
        self,
        api_key: str,
        *,
        remaining: int | None = None,
        reset_after: float | None = None,
        limited: bool = False,
    ) -> None:
        """Feed back one response: hold calls until the reset when Otwa's remaining count is
        low (background only) or exhausted / a 429 came (everyone)."""
        low = remaining is not None and remaining <= self.low_water
        if not (limited or low):
            return
        wait = self.window if reset_after is None else min(max(reset_after, 0.0), self.window)
        until = self._clock() + wait
        column = "all_until" if limited or remaining == 0 else "background_until"
        with self._tx() as conn:
            conn.execute("INSERT OR IGNORE INTO holds (key) VALUES (?)", (key_id(api_key),))
            conn.execute(
                f"UPDATE holds SET {column} = max({column}, ?) WHERE key = ?",  # noqa: S608
                (until, key_id(api_key)),
            )

    def usage(self, api_key: str) -> dict[str, Any]:
        """Slots used in the current window and active holds (for metrics and tests)."""
        key = key_id(api_key)
        now = self._clock()
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT priority, count(*) FROM grants WHERE key = ? AND at > ? GROUP BY priority",
                (key, now - self.window),
            ).fetchall()
            hold = conn.execute(
                "SELECT all_until, background_until FROM holds WHERE key = ?", (key,)
            ).fetchone()
        by_priority = dict(rows)
        all_until, background_until = hold if hold else (0.0, 0.0)
        return {
            "used": sum(by_priority.values()),
            "interactive": by_priority.get("interactive", 0),
            "background": by_priority.get("background", 0),
            "limit": self.limit,
            "hold_all": max(0.0, all_until - now),
            "hold_background": max(0.0, background_until - now),
        }

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
