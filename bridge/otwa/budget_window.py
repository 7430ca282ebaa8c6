"""What the budget knows about Otwa's current rate-limit window for one key, and the arithmetic
on it. Pure: no SQLite, no clock (callers pass ``now`` and the counts they read).

Otwa answers every request with ``X-RateLimit-Remaining`` (R: requests left in its window
after counting this one) and ``X-RateLimit-Reset`` (when the window ends). The budget keeps the
answer to its *newest* grant (grant ids only grow), so at any moment

    free = R - pending - after - margin - foreign

* ``pending``: our grants older than the observed one that were still unanswered when it was
  observed. Otwa may count them after it, so they are not in R yet (if Otwa counted them
  before, they are counted twice: a slot lost until the next answer, never a 429).
* ``after``: our grants newer than the observed one (taken since, in any process).
* ``margin``: a few slots for what no answer has shown yet: another user of the key sending
  between our latest answer and our next request, clock skew.
* ``foreign``: what other users of the key are expected to spend between that answer and the
  end of the window, at the rate their requests showed so far (R fell by more than our own
  grants explain): we leave it to them instead of racing them to the end of the window.

The newest answer decides, so an answer to an old request (or from the previous window) never
makes the budget more generous; and a new window is recognised by its later reset time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

Mode = Literal["learned", "probe", "fallback"]


@dataclass
class Window:
    """One row of the ``windows`` table (see the module docstring for the model)."""

    seq: int = 0  # id of the newest grant whose answer carried Remaining
    remaining: int | None = None  # Otwa's Remaining in that answer (None: never seen)
    pending: int = 0  # our older grants unanswered when it came
    reset_at: float = 0.0  # when that window ends, on our clock
    seen_at: float = 0.0  # when that answer came
    bare_at: float = 0.0  # when an answer last came without Remaining
    hold_until: float = 0.0  # after a 429: nobody sends before this
    # The first answer seen in the current window: other users' spending is measured from it.
    anchor_seq: int = 0
    anchor_remaining: int = 0
    anchor_pending: int = 0
    anchor_at: float = 0.0
    anchor_reset_at: float = 0.0
    foreign_count: int = 0  # other users' requests counted by Otwa since the anchor
    foreign_rate: float = 0.0  # their requests per second in previous windows (falls slowly)
    measured: int = 0  # windows seen through to the next one (capped): 0 in the first

    @classmethod
    def from_row(cls, row: tuple[Any, ...] | None) -> Window:
        return cls() if row is None else cls(*row)

    @staticmethod
    def columns() -> str:
        return ", ".join(f.name for f in fields(Window))

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def mode(self, now: float, *, window: float, grace: float) -> Mode:
        """``learned`` while the observed window runs; ``probe`` for one window after it ended
        (Otwa's new window is unknown until the next answer); ``fallback`` when the answers
        are older than that (stale), or none ever carried Remaining."""
        if self.remaining is None or now >= self.reset_at + grace + window:
            return "fallback"
        if now < self.reset_at + grace:
            return "learned"
        return "probe"

    def measured_rate(self, window: float) -> float | None:
        """Other users' requests per second over the span our answers covered in this window
        (None when that span is too short to say). The span, not the window: once we have
        spent our share we send nothing, and see nothing, until the reset."""
        span = self.seen_at - self.anchor_at
        return self.foreign_count / span if span >= window / 20 else None

    def foreign_expected(self, *, window: float) -> int:
        """Requests other users are expected to send between our latest answer and the end
        of its window, at the larger of this window's measured rate and the previous
        windows' (smoothed). From the answer, not from now: Remaining has not shown what they sent
        since (and once we have spent our share, no answer will until the reset)."""
        rate = max(self.foreign_rate, self.measured_rate(window) or 0.0)
        return max(0, math.ceil(rate * max(0.0, self.reset_at - self.seen_at) - 0.5))

    def free(self, *, after: int, margin: int, window: float) -> int:
        """Slots we may still take in the observed window (learned mode)."""
        assert self.remaining is not None
        foreign = self.foreign_expected(window=window)
        return self.remaining - self.pending - after - margin - foreign

    def observe(
        self,
        *,
        seq: int,
        remaining: int,
        pending: int,
        reset_at: float,
        now: float,
        ours_since_anchor: int,
        ours_after: int,
        window: float,
    ) -> None:
        """Take a newer answer (the caller checked ``seq`` is the newest). ``ours_since_anchor``
        is the number of our grants with ids in (anchor_seq, seq], ``ours_after`` the number
        of newer ones (not answered yet, but Otwa may have counted them already)."""
        if self.anchor_at == 0.0 or reset_at > self.anchor_reset_at + window / 2:
            # A new window. What others spent in the previous one sets the pace we expect of
            # them in this one, unless that window is long gone.
            if self.anchor_at and now - self.anchor_reset_at <= window:
                measured = self.measured_rate(window)
                if measured is not None:
                    # Each window's measure may span only our own burst and jitters with the
                    # load: a higher pace is taken at once, a lower one only halfway.
                    self.foreign_rate = max(measured, (self.foreign_rate + measured) / 2)
                self.measured = min(self.measured + 1, 1000)
            else:
                self.foreign_rate, self.measured = 0.0, 0  # none seen, or long gone
            self.anchor_seq, self.anchor_remaining, self.anchor_pending = seq, remaining, pending
            self.anchor_at, self.anchor_reset_at, self.foreign_count = now, reset_at, 0
        else:
            # Otwa counted (anchor R - R) requests since the anchor. Ours among them: the
            # grants in between, the anchor's pending ones, and perhaps the newer ones in
            # flight. Counting every one we may have sent as counted errs towards seeing fewer
            # foreign requests (by the few in flight): the margin covers those, while a
            # phantom user would hold slots back for the rest of the window.
            counted = self.anchor_remaining - remaining
            ours = ours_since_anchor + self.anchor_pending + ours_after
            self.foreign_count = max(0, counted - ours)
        self.seq, self.remaining, self.pending = seq, remaining, pending
        self.reset_at, self.seen_at = reset_at, now


def ceil_wait(seconds: float) -> float:
    """A wait never shorter than half a millisecond (a zero wait would spin)."""
    return max(seconds, 0.0005) if math.isfinite(seconds) else 0.0005
