"""The one source of time for provisioning, the worker and the budget.

Production uses :class:`SystemClock`. Tests build the Bridge with a :class:`ManualClock` and
move it (``advance``) instead of sleeping and guessing: a lease expiring, a replay window
passing or a grace period ending happens exactly when the test says so.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Wall time for records (``now``, epoch seconds), a monotonic reading for durations,
    and a way to wait."""

    def now(self) -> float: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to (``advance``) or when someone ``sleep``s on it.

    ``offset`` mode (``ManualClock.following_system(offset)``) keeps running with the
    system clock but ``offset`` seconds ahead: for in-process runs of real components
    (a worker thread) that must see time jump while real time still passes.
    """

    def __init__(self, start: float = 1_800_000_000.0, *, follow_system: bool = False) -> None:
        self._lock = threading.Lock()
        self._follow = follow_system
        self._offset = start - time.time() if follow_system else 0.0
        self._now = start
        self._mono = 0.0

    @classmethod
    def following_system(cls, offset: float = 0.0) -> ManualClock:
        """The system clock shifted by ``offset`` seconds; ``advance`` shifts it further."""
        return cls(time.time() + offset, follow_system=True)

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset if self._follow else self._now

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._mono if self._follow else self._mono

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += seconds
            self._now += seconds
            self._mono += seconds

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now():.3f})"
