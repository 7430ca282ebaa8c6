"""The floor: the earliest moment the rate limit lets the last of N ordered servers be running.

Definition (all in sandbox seconds, from the moment the first hook of the burst is due):

* order ``k`` exists from ``a_k``, the moment its hook was due (the burst is open-loop, so
  arrivals do not depend on the system under test; a system that keeps the panel waiting
  does not get a later floor for it);
* an ideal system sends create ``k`` at ``s_k``, the earliest moment no earlier than ``a_k``
  that the limit allows, and spends no request on anything else until every create is out.
  The limit is the sandbox's: 100 requests per API key in a **fixed** 60 s window that
  opens with the key's first request (bridge/sandbox/ratelimit.py). Greedy is optimal;
* the k-th create the sandbox receives builds for the k-th duration its seeded RNG draws
  (uniform 60-120 s), whoever sends it, so the ideal system's k-th create builds for
  ``b_k`` (:func:`seeded_builds`);
* ``floor = max_k (s_k + b_k)`` (:func:`seeded_floor_seconds`).

``ratio = measured / floor``; 1.00 is the best any system can reach against this sandbox
and seed. :func:`floor_seconds` is the seed-free variant (every build takes the longest
possible 120 s, optionally with a sliding window), reported alongside. Only creates count:
status polls and credential fetches are not needed for a server to be running, so every
request a system spends on them while creates still wait costs it time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

LIMIT = 100
WINDOW = 60.0
MAX_BUILD = 120.0


def fixed_window_schedule(
    arrivals: Sequence[float], limit: int = LIMIT, window: float = WINDOW
) -> list[float]:
    """Earliest send time of each create when a window of ``window`` s opens at the first
    request after the previous one closed and admits ``limit`` requests (greedy is optimal:
    sending earlier never delays a later window)."""
    sends: list[float] = []
    start, count = float("-inf"), 0
    for arrival in sorted(arrivals):
        t = max(arrival, sends[-1] if sends else arrival)
        if t >= start + window:
            start, count = t, 0
        elif count >= limit:
            t = start + window
            start, count = t, 0
        count += 1
        sends.append(t)
    return sends


def sliding_window_schedule(
    arrivals: Sequence[float], limit: int = LIMIT, window: float = WINDOW
) -> list[float]:
    """Earliest send times under a sliding window (at most ``limit`` in any ``window`` s)."""
    sends: list[float] = []
    for k, arrival in enumerate(sorted(arrivals)):
        sends.append(arrival if k < limit else max(arrival, sends[k - limit] + window))
    return sends


def floor_seconds(
    arrivals: Sequence[float],
    *,
    limit: int = LIMIT,
    window: float = WINDOW,
    build: float = MAX_BUILD,
    sliding: bool = False,
) -> float:
    """The floor (see the module docstring) for orders arriving at ``arrivals`` (seconds)."""
    if not arrivals:
        return 0.0
    schedule = sliding_window_schedule if sliding else fixed_window_schedule
    return max(schedule(arrivals, limit, window)) + build


def seeded_builds(seed: int, count: int) -> list[float]:
    """Build durations the sandbox draws for its first ``count`` creates with ``seed``.

    The sandbox draws, per create and in creation order, from ``random.Random(seed)``:
    the build duration (uniform 60-120 s), the pending phase and the failure roll
    (bridge/sandbox/servers.py ``schedule_build``). The harness checks every prediction
    made from these against the statuses it observes, so a change in the sandbox is
    caught instead of silently skewing the numbers.
    """
    rng = random.Random(seed)
    durations = []
    for _ in range(count):
        durations.append(rng.uniform(60.0, 120.0))
        rng.uniform(5.0, 15.0)
        rng.random()
    return durations


def seeded_floor_seconds(
    arrivals: Sequence[float],
    builds: Sequence[float],
    *,
    limit: int = LIMIT,
    window: float = WINDOW,
    sliding: bool = False,
) -> float:
    """Like :func:`floor_seconds` but the k-th create builds for ``builds[k]``: the draws the
    seeded sandbox actually hands out, whoever sends the k-th create."""
    if not arrivals:
        return 0.0
    schedule = sliding_window_schedule if sliding else fixed_window_schedule
    sends = schedule(arrivals, limit, window)
    return max(s + b for s, b in zip(sends, builds, strict=False))
