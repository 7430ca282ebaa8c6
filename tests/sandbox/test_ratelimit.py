"""100 requests per 60 s window per key, on a real-speed sandbox of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.sandbox.helpers import DEFAULT, OTHER, call
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
