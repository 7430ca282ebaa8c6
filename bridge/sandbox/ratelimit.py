"""Fixed-window rate limit: 100 requests per 60 s of sandbox time, per API key.

A key's window opens with its first request and lasts 60 sandbox seconds (so it shrinks
with --time-scale). ``X-RateLimit-Reset`` is the real wall-clock epoch (seconds, fractional
unless the scale is 1) at which the window ends, so a client can simply wait for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridge.sandbox.clock import SandboxClock

LIMIT = 100
WINDOW = 60.0


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


class RateLimiter:
    """Per-key windows; callers hold the state lock."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, now: float) -> Verdict:
        """Count one request for ``key`` and say whether it is within the limit."""
        start, count = self.windows.get(key, (now, 0))
        if now >= start + WINDOW:
            start, count = now, 0
        count += 1
        self.windows[key] = (start, count)
        return Verdict(count <= LIMIT, max(0, LIMIT - count), start + WINDOW)

    def peek(self, key: str, now: float) -> Verdict:
        """The current window without counting (for injected 429s)."""
        start, _ = self.windows.get(key, (now, 0))
        if now >= start + WINDOW:
            start = now
        return Verdict(False, 0, start + WINDOW)
