"""Backoff, reset-header parsing and the write-retry rule."""

from __future__ import annotations

import random

import pytest

from bridge.otwa import retry


def test_full_jitter_is_capped_exponential() -> None:
    backoff = retry.exponential_backoff(base=0.5, cap=4.0, rng=random.Random(1))
    for n in range(1, 12):
        ceiling = min(4.0, 0.5 * 2 ** (n - 1))
        samples = [backoff(n) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # full jitter spans the range


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        ("0.25", 0.25),
        ("1000000010", 10.0),  # epoch seconds
        ("1000000010.5", 10.5),  # fractional epoch
        ("999999999.0", 999999999.0),  # below 1e9: seconds-to-wait (callers clamp)
        ("1000000000.5", 0.5),  # just above the threshold: epoch
        ("-3", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_reset(value: str | None, expected: float | None) -> None:
    assert retry.parse_reset(value, now=1_000_000_000.0) == expected


def test_server_wait_prefers_retry_after_and_clamps() -> None:
    assert retry.server_wait({"Retry-After": "3", "X-RateLimit-Reset": "9"}, max_wait=60) == 3.0
    assert retry.server_wait({"X-RateLimit-Reset": "120"}, max_wait=60) == 60.0
    assert retry.server_wait({}, max_wait=60) is None


def test_writes_retry_only_with_an_idempotency_key() -> None:
    assert retry.may_retry("GET", False)
    assert not retry.may_retry("POST", False) and retry.may_retry("POST", True)
    assert not retry.may_retry("PATCH", False) and not retry.may_retry("DELETE", False)
