"""100 requests per 60 s per key, fixed and sliding windows, on real-speed sandboxes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.helpers import DEFAULT, OTHER, call, freeze
from tests.support.processes import Sandbox


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path_factory.mktemp("rl"), time_scale=1.0).start()
    yield sb
    sb.stop()


def test_limit_headers_then_429_with_retry_after(slow: Sandbox):
    slow.reset()
    first = call(slow, "GET", "/account")
    assert first.headers["X-RateLimit-Limit"] == "100"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    reset = float(first.headers["X-RateLimit-Reset"])
    assert time.time() + 55 < reset <= time.time() + 61  # epoch seconds, real wall clock
    for _ in range(98):
        call(slow, "GET", "/regions")
    last = call(slow, "GET", "/os-templates")
    assert last.status_code == 200 and last.headers["X-RateLimit-Remaining"] == "0"
    over = call(slow, "GET", "/account")
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.headers["X-RateLimit-Remaining"] == "0"
    # per key: another account's key is unaffected; the public endpoint too
    assert call(slow, "GET", "/account", OTHER).status_code == 200
    assert call(slow, "GET", "/public/affiliates/rule", key=None).status_code == 200
    st = slow.state()["requests"]
    assert st["rateLimited"] == 1 and st["byKey"][DEFAULT] == 101
    # the window runs on the sandbox clock: advancing it opens a new window
    slow.advance(61)
    again = call(slow, "GET", "/account")
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "99"


def test_window_shrinks_with_time_scale(sandbox):
    # the session sandbox runs at x600: a 60 s window lasts 0.1 s of real time
    r = call(sandbox, "GET", "/account")
    reset = float(r.headers["X-RateLimit-Reset"])
    assert reset - time.time() < 1.0


@pytest.fixture(scope="module")
def sliding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path_factory.mktemp("rl"), time_scale=1.0, rate_limit_mode="sliding")
    yield sb.start()
    sb.stop()


def burst(sb: Sandbox, n: int) -> list[requests.Response]:
    return [call(sb, "GET", "/regions") for _ in range(n)]


def reset_in(r: requests.Response) -> float:
    """Real seconds from now until X-RateLimit-Reset."""
    return float(r.headers["X-RateLimit-Reset"]) - time.time()


def test_sliding_window_holds_at_most_100_in_any_60_s(sliding: Sandbox):
    sliding.reset()
    assert sliding.state()["rateLimit"] == {"mode": "sliding", "limit": 100, "windowSeconds": 60}
    freeze(sliding)  # every burst below happens at one sandbox instant
    first = burst(sliding, 50)  # t0: 50 slots, each free again at t0 + 60
    assert first[-1].headers["X-RateLimit-Remaining"] == "50"
    assert 58 < reset_in(first[-1]) <= 61  # the next slot frees with the oldest, at t0 + 60
    sliding.advance(30)
    second = burst(sliding, 50)  # t0 + 30
    assert second[-1].status_code == 200 and second[-1].headers["X-RateLimit-Remaining"] == "0"
    assert 28 < reset_in(second[-1]) <= 31  # still t0 + 60
    over = call(sliding, "GET", "/account")
    assert over.status_code == 429 and over.headers["X-RateLimit-Remaining"] == "0"
    assert over.headers["Retry-After"] in ("30", "31") and 28 < reset_in(over) <= 31
    sliding.advance(30)  # t0 + 60: the first 50 slots are free, the other 50 are not
    third = burst(sliding, 50)
    assert [r.status_code for r in third] == [200] * 50
    assert third[0].headers["X-RateLimit-Remaining"] == "49"
    assert 28 < reset_in(third[0]) <= 31  # the oldest slot in use now is t0 + 30's
    # a fixed window opened at t0 would allow 100 here; sliding allows what is free
    refused = [call(sliding, "GET", "/regions").status_code for _ in range(5)]
    assert refused == [429] * 5
    sliding.advance(30)  # t0 + 90: the 429s took no slot, so t0 + 30's 50 are free again
    fourth = burst(sliding, 50)
    assert [r.status_code for r in fourth] == [200] * 50
    assert fourth[-1].headers["X-RateLimit-Remaining"] == "0"
    assert call(sliding, "GET", "/account", OTHER).headers["X-RateLimit-Remaining"] == "99"
    assert sliding.state()["requests"]["rateLimited"] == 6


def test_mode_is_a_control_call_and_reset_restores_the_start_mode(sliding: Sandbox):
    sliding.reset()
    url = f"{sliding.url}/_sandbox/ratelimit"
    for bad in ({"mode": "leaky"}, {"mode": 1}, {}):
        r = requests.put(url, json=bad, timeout=5)
        assert (
            r.status_code == 400 and "mode must be one of fixed, sliding" in r.json()["message"][0]
        )
    assert sliding.state()["rateLimit"]["mode"] == "sliding"
    freeze(sliding)
    burst(sliding, 60)
    assert sliding.set_rate_limit_mode("fixed") == {"ok": True, "mode": "fixed"}
    first = call(sliding, "GET", "/account")  # every key starts afresh in the new mode
    assert first.headers["X-RateLimit-Remaining"] == "99" and 58 < reset_in(first) <= 61
    burst(sliding, 99)
    sliding.advance(59)
    assert call(sliding, "GET", "/account").status_code == 429
    sliding.advance(1)  # fixed: the whole window frees at once, 60 s after it opened
    assert call(sliding, "GET", "/account").headers["X-RateLimit-Remaining"] == "99"
    sliding.reset()
    assert sliding.state()["rateLimit"]["mode"] == "sliding"
