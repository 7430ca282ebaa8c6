"""The sandbox's one clock: builds, rate-limit windows, idempotency and SSO expiry run on it.

sandbox time = boot wall time + real elapsed x time_scale + seconds advanced by hand.
The scale can be changed live (0 freezes the clock); the clock never runs backwards.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    """A scalable, advanceable clock in epoch seconds."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self._lock = threading.Lock()
        self.boot_scale = time_scale
        self._scale = time_scale
        self._base = time.time()
        self._mono = time.monotonic()

    @property
    def scale(self) -> float:
        return self._scale

    def now(self) -> float:
        """Current sandbox time (epoch seconds)."""
        with self._lock:
            return self._base + (time.monotonic() - self._mono) * self._scale

    def advance(self, seconds: float) -> float:
        """Jump forward by ``seconds`` (>= 0); returns the new time."""
        with self._lock:
            self._base += seconds
        return self.now()

    def set_scale(self, scale: float) -> None:
        """Change speed from now on (0 freezes); time already elapsed is kept."""
        with self._lock:
            mono = time.monotonic()
            self._base += (mono - self._mono) * self._scale
            self._mono = mono
            self._scale = scale

    def wall_at(self, sandbox_t: float) -> float:
        """Real wall-clock epoch when sandbox time reaches ``sandbox_t``.

        A frozen clock (scale 0) is treated as scale 1, so the answer stays finite.
        """
        remaining = sandbox_t - self.now()
        scale = self._scale or 1.0
        return time.time() + max(0.0, remaining) / scale

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long ``sandbox_seconds`` take in real time at the current scale."""
        return max(0.0, sandbox_seconds) / (self._scale or 1.0)


def iso(t: float) -> str:
    """Epoch seconds as ISO-8601 UTC with milliseconds: ``2026-01-01T00:00:00.000Z``."""
    stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{stamp}{int(t * 1000) % 1000:03d}Z"


def parse_iso(text: str) -> float:
    """The inverse of :func:`iso`: ``2026-01-01T00:00:00.000Z`` as epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
