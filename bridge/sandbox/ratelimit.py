"""The per-key rate limit: 100 requests per 60 s of sandbox time, in one of two modes.

- ``fixed`` (the default): a key's window opens with its first request and lasts 60 sandbox
  seconds; all 100 slots free together when it ends.
- ``sliding``: any 60 s interval holds at most 100 admitted requests; each slot frees 60 s
  after the request that took it. A refused request (429) takes no slot, so a client that
  keeps knocking is not locked out for longer.

Both report truthfully: ``X-RateLimit-Remaining`` is what may be sent now, and
``X-RateLimit-Reset`` the real wall-clock epoch (seconds, fractional unless the scale is 1) at
which the next slot frees: the end of the window (fixed), or the expiry of the oldest slot in
use (sliding). Windows run on the sandbox clock, so they shrink with --time-scale. Callers
hold the state lock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bridge.sandbox.clock import SandboxClock

LIMIT = 100
WINDOW = 60.0
MODES = ("fixed", "sliding")


@dataclass
class Verdict:
    allowed: bool
    remaining: int
    reset_sandbox: float

    def headers(self, clock: SandboxClock) -> dict[str, str]:
        wall = clock.wall_at(self.reset_sandbox)
        reset = str(math.ceil(wall)) if clock.scale == 1.0 else f"{wall:.3f}"
        return {
            "X-RateLimit-Limit": str(LIMIT),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset,
        }

    def retry_after(self, clock: SandboxClock) -> str:
        """Whole real seconds to wait (at least 1), for the Retry-After header."""
        return str(max(1, math.ceil(clock.real_seconds(self.reset_sandbox - clock.now()))))


class RateLimiter(Protocol):
    mode: str

    def hit(self, key: str, now: float) -> Verdict:
        """Count one request for ``key`` and say whether it is within the limit."""
        ...

    def peek(self, key: str, now: float) -> Verdict:
        """A refusal carrying the key's current reset time, counting nothing (injected 429s)."""
        ...


class FixedWindow:
    """Per-key windows opened by the key's first request."""

    mode = "fixed"

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, now: float) -> Verdict:
        start, count = self.windows.get(key, (now, 0))
        if now >= start + WINDOW:
            start, count = now, 0
        count += 1
        self.windows[key] = (start, count)
        return Verdict(count <= LIMIT, max(0, LIMIT - count), start + WINDOW)

    def peek(self, key: str, now: float) -> Verdict:
        start, _ = self.windows.get(key, (now, 0))
        if now >= start + WINDOW:
            start = now
        return Verdict(False, 0, start + WINDOW)


class SlidingWindow:
    """Per-key logs of the admission times still inside the last 60 s (at most 100 each)."""

    mode = "sliding"

    def __init__(self) -> None:
        self.logs: dict[str, deque[float]] = {}

    def _log(self, key: str, now: float) -> deque[float]:
        log = self.logs.setdefault(key, deque())
        while log and log[0] + WINDOW <= now:  # that slot has freed
            log.popleft()
        return log

    def hit(self, key: str, now: float) -> Verdict:
        log = self._log(key, now)
        if len(log) >= LIMIT:
            return Verdict(False, 0, log[0] + WINDOW)
        log.append(now)
        return Verdict(True, LIMIT - len(log), log[0] + WINDOW)

    def peek(self, key: str, now: float) -> Verdict:
        log = self._log(key, now)
        return Verdict(False, 0, log[0] + WINDOW if log else now)


def new_limiter(mode: str) -> RateLimiter:
    """A limiter with no history in ``mode`` (one of MODES)."""
    if mode == "sliding":
        return SlidingWindow()
    if mode == "fixed":
        return FixedWindow()
    raise ValueError(f"rate-limit mode must be one of {', '.join(MODES)}")
