"""The retry policy of the Otwa client, in one place.

What is retried (at most ``max_retries`` times after the first attempt):

* connection errors (refused, reset, response lost) and timeouts,
* 5xx responses,
* 429 responses (after waiting for the rate-limit reset),
* 409 ``IdempotencyConflict`` with ``in_flight`` (the first request is still running).

A state-changing call (POST/PATCH/DELETE) is retried only when it carries an
``Idempotency-Key`` (``create_server``, ``reinstall``): for any other write the error is
raised at once, because Otwa may already have acted on it. Reads are always retried.

Waits: capped exponential backoff with full jitter, ``uniform(0, min(cap, base * 2**(n-1)))``
for the n-th retry. When the response names a wait (``Retry-After`` or
``X-RateLimit-Reset``) the wait is at least that long, clamped to ``max_wait``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from bridge.otwa import errors

Backoff = Callable[[int], float]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EPOCH_THRESHOLD = 1e9  # a reset value above this is a Unix timestamp, below it a delay


def exponential_backoff(
    base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None
) -> Backoff:
    """Full-jitter capped exponential backoff: ``f(n)`` for the n-th retry (n >= 1)."""
    uniform = (rng or random.Random()).uniform

    def backoff(retry: int) -> float:
        return uniform(0.0, min(cap, base * (2 ** max(0, retry - 1))))

    return backoff


def no_backoff(retry: int) -> float:
    """A backoff for tests: retry at once."""
    return 0.0


def parse_reset(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` / ``X-RateLimit-Reset`` value.

    Accepts epoch seconds (``> 1e9``, possibly fractional) or seconds-to-wait; returns
    None when absent or unparsable, and never a negative number.
    """
    if value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if number != number:  # NaN
        return None
    if number > EPOCH_THRESHOLD:
        number -= time.time() if now is None else now
    return max(0.0, number)


def server_wait(headers: Mapping[str, str], *, max_wait: float) -> float | None:
    """The wait a response asks for (``Retry-After`` first, then ``X-RateLimit-Reset``),
    clamped to ``[0, max_wait]``; None when it names none."""
    for name in ("Retry-After", "X-RateLimit-Reset"):
        wait = parse_reset(headers.get(name))
        if wait is not None:
            return min(wait, max_wait)
    return None


def may_retry(method: str, has_idempotency_key: bool) -> bool:
    """Whether a failed call with this method may be sent again (see module docstring)."""
    return method.upper() in SAFE_METHODS or has_idempotency_key


def default_sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def wait_before_retry(
    error: errors.OtwaError,
    *,
    attempt: int,
    max_retries: int,
    may_resend: bool,
    paced_by_budget: bool,
    backoff: Backoff,
    max_wait: float,
) -> float | None:
    """Seconds to wait before trying the call again after ``error`` on attempt ``attempt``,
    or None when it must not be tried again (see the module docstring).

    A 429 waits for the reset itself only when no shared budget paces the calls (with a
    budget, the hold that ``Budget.observe`` set makes every process wait); an answer that
    names a wait (``Retry-After``) is honoured, clamped to ``max_wait``.
    """
    if not (error.retryable and may_resend and attempt <= max_retries):
        return None
    wait = backoff(attempt)
    if isinstance(error, errors.RateLimitedError):
        if not paced_by_budget:
            wait = max(wait, max_wait if error.reset_after is None else error.reset_after)
    elif error.retry_after is not None:  # e.g. 503 + Retry-After
        wait = max(wait, min(error.retry_after, max_wait))
    return wait
