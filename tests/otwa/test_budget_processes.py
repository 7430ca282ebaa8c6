"""The budget shared by real processes hammering a real sandbox through one SQLite file.

The sandbox runs at --time-scale 60, so its 100-per-minute window lasts one real second;
the budget uses the matching window (1 s) and the default 90 per window.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.otwa import Budget, OtwaClient
from tests.support.processes import Process, Sandbox

KEY = "otwa_sandbox_default"
SCALE = 60.0
WINDOW = 60.0 / SCALE
LIMIT = 90
PROCESSES = 4
SECONDS = 3.0


@pytest.fixture(scope="module")
def fast_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path_factory.mktemp("budget-sandbox"), time_scale=SCALE).start()
    yield sb
    sb.stop()


def hammer(sandbox: Sandbox, tmp: Path, budget_path: str, seconds: float) -> list[Path]:
    """Start PROCESSES background hammers; return their result files (written on exit)."""
    procs, outs = [], []
    for n in range(PROCESSES):
        out = tmp / f"hammer-{n}.json"
        args = [
            sys.executable, "-m", "tests.support.otwa_hammer", sandbox.api, KEY, budget_path,
            str(LIMIT), str(WINDOW), "background", str(seconds), str(out),
        ]  # fmt: skip
        procs.append(Process(args, tmp / f"hammer-{n}.log").start())
        outs.append(out)
    for proc in procs:
        assert proc.popen is not None
        assert proc.popen.wait(timeout=60) == 0, proc.log()
    return outs


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_processes_share_one_budget(fast_sandbox: Sandbox, tmp_path: Path) -> None:
    fast_sandbox.reset()
    budget_path = tmp_path / "budget.sqlite"
    interactive = OtwaClient(
        KEY,
        base_url=fast_sandbox.api,
        budget=Budget(budget_path, limit=LIMIT, window=WINDOW),
        priority="interactive",
        max_retries=0,
    )
    latencies: list[float] = []
    interactive_sent: list[float] = []

    def customer() -> None:
        time.sleep(1.0)  # the hammers are up and saturating the budget by now
        for _ in range(8):
            started = time.time()
            interactive.account()
            latencies.append(time.time() - started)
            interactive_sent.append(started)  # within a few ms of the send: latency is tiny
            time.sleep(0.2)

    thread = threading.Thread(target=customer)
    thread.start()
    outs = hammer(fast_sandbox, tmp_path, str(budget_path), SECONDS)
    thread.join()
    results = [json.loads(out.read_text()) for out in outs]

    # Zero 429s: none reached a client, and the sandbox never sent one.
    assert sum(r["rate_limited"] for r in results) == 0
    assert all(r["errors"] == [] for r in results)
    requests = fast_sandbox.state()["requests"]
    assert requests["rateLimited"] == 0 and "429" not in requests["byStatus"]

    # Within the budget: never more than LIMIT requests sent in any window (a couple allowed
    # for the instant between taking a slot and sending), background below the reserve.
    background = [t for r in results for t in r["sent"]]
    everything = background + interactive_sent
    cap = LIMIT - Budget(budget_path).reserve
    assert max_in_window(everything, WINDOW) <= LIMIT + 2
    assert max_in_window(background, WINDOW) <= cap + 2
    # ...and the hammers really pressed against it (so the test can fail): the background
    # cap was reached, and kept up for the whole run.
    assert max_in_window(background, WINDOW) >= cap - 6
    assert len(background) >= 0.8 * cap * (SECONDS / WINDOW)

    # The customer was served promptly although the background was saturated: well inside
    # a window (a background call waits up to a whole one). Half a window leaves room for a
    # loaded CI machine without letting a non-prioritised wait pass.
    assert len(latencies) == 8 and max(latencies) < WINDOW / 2, latencies


def test_without_the_budget_the_same_load_is_rate_limited(
    fast_sandbox: Sandbox, tmp_path: Path
) -> None:
    """The control experiment: proves the test above measures the budget, not the load."""
    fast_sandbox.reset()
    results = [json.loads(out.read_text()) for out in hammer(fast_sandbox, tmp_path, "-", 1.5)]
    assert sum(r["rate_limited"] for r in results) > 0
    assert fast_sandbox.state()["requests"]["rateLimited"] > 0


def test_low_remaining_header_holds_background(fast_sandbox: Sandbox, tmp_path: Path) -> None:
    """A budget as large as Otwa's own limit still meets no 429: when X-RateLimit-Remaining
    drops to 5, background calls hold until the reset."""
    fast_sandbox.reset()
    budget = Budget(tmp_path / "b.sqlite", limit=100, window=WINDOW, reserve=0)
    client = OtwaClient(KEY, base_url=fast_sandbox.api, budget=budget, max_retries=0)
    holds = 0
    deadline = time.time() + 2.5 * WINDOW
    while time.time() < deadline:
        client.account()
        holds += budget.usage(KEY)["hold_background"] > 0
    requests = fast_sandbox.state()["requests"]
    assert requests["rateLimited"] == 0 and requests["total"] > 150
    assert holds >= 2
