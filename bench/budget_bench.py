"""How much of Otwa's limit the shared budget lets through, and how long a click waits.

    python -m bench.budget_bench [--processes 4] [--windows 10] [--time-scale 60]
        [--clicks 2] [--variants today,learned]

Starts an Otwa sandbox (``python -m bridge sandbox``, fixed 100-per-minute window, shrunk by
the time scale) and, for each variant, ``--processes`` background processes calling
``GET /account`` as fast as one shared budget file allows, while this process makes
``--clicks`` interactive calls per window through the same budget. Reported per variant:
requests per Otwa window (Otwa's own count: 100 less the lowest X-RateLimit-Remaining
answered in each window; the first and last, partial, windows left out), 429s (the sandbox's
own count), and the interactive calls' wait (budget wait plus the request) p50 / p99 / max.

Variants: ``today`` is the budget before it read Otwa's headers (sliding 90 per window,
10 % held for interactive calls, headers ignored); ``learned`` is the current budget with its
defaults. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from bridge.otwa import Budget, OtwaClient, errors
from bridge.otwa.retry import parse_reset

KEY = "otwa_sandbox_default"
OTWA_WINDOW = 60.0  # sandbox seconds
OTWA_LIMIT = 100


class HeaderBlind(Budget):
    """The budget as it was before it learned from headers: only 429s reach it."""

    def observe(self, api_key: str, **answer: Any) -> None:
        super().observe(api_key, limited=bool(answer.get("limited")))


def make_budget(variant: str, path: Path, window: float) -> Budget:
    if variant == "today":
        return HeaderBlind(path, limit=90, window=window, reserve=9)
    return Budget(path, limit=90, window=window)


def worker(argv: list[str]) -> int:
    """One background process: ``worker <api> <variant> <budget> <window> <seconds> <out>``.
    Does what the client does around each request (slot, request, answer fed back), with the
    send time taken right after the slot."""
    api, variant, path, window, seconds, out = argv
    budget = make_budget(variant, Path(path), float(window))
    session = requests.Session()
    sent: list[float] = []
    answers: list[tuple[float, int]] = []  # (X-RateLimit-Reset, -Remaining) of each answer
    limited = 0
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        try:
            budget.acquire(KEY, wait=2 * float(window))
        except errors.BudgetExhausted:
            continue
        sent.append(time.time())
        try:
            answer = session.get(
                f"{api}/account", headers={"Authorization": f"Bearer {KEY}"}, timeout=10
            )
        except requests.RequestException:
            continue
        limited += answer.status_code == 429
        remaining = answer.headers.get("X-RateLimit-Remaining")
        reset = answer.headers.get("X-RateLimit-Reset")
        if remaining is not None and reset is not None:
            answers.append((float(reset), int(float(remaining))))
        budget.observe(
            KEY,
            remaining=int(float(remaining)) if remaining is not None else None,
            reset_after=parse_reset(answer.headers.get("X-RateLimit-Reset")),
            limited=answer.status_code == 429,
        )
    Path(out).write_text(json.dumps({"sent": sent, "answers": answers, "limited": limited}))
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sandbox(scale: float, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "bridge", "sandbox", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--time-scale", str(scale)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/_sandbox/state", timeout=2)
            return proc, url
        except requests.RequestException:  # not listening yet
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the sandbox did not start: {log.read_text()}")


def otwa_windows(answers: list[tuple[float, int]], window: float) -> list[int]:
    """Requests per window as Otwa counted them: answers grouped by their window (same
    X-RateLimit-Reset, give or take the sandbox's millisecond jitter); a window's count is
    100 less the lowest Remaining any answer in it carried."""
    counts: list[int] = []
    last = -math.inf
    for reset, remaining in sorted(answers):
        if reset > last + window / 2:
            counts.append(0)
        last = reset
        counts[-1] = max(counts[-1], OTWA_LIMIT - remaining)
    return counts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def run_variant(variant: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    window = OTWA_WINDOW / args.time_scale
    requests.post(f"{url}/_sandbox/reset", timeout=10)
    path = tmp / f"{variant}.sqlite"
    seconds = args.windows * window
    outs = [tmp / f"{variant}-{n}.json" for n in range(args.processes)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.budget_bench", "worker", f"{url}/api/v1", variant,
             str(path), str(window), str(seconds), str(out)]
        )
        for out in outs
    ]  # fmt: skip
    budget = make_budget(variant, path, window)
    clicker = OtwaClient(
        KEY, base_url=f"{url}/api/v1", budget=budget, priority="interactive", max_retries=0
    )
    waits: list[float] = []

    def clicks() -> None:
        # Start once the background has spent most of a window (its load is on).
        end = time.time() + seconds
        while budget.usage(KEY)["background"] < 60 and time.time() < end:
            time.sleep(0.01)
        while time.time() < end - window:
            started = time.time()
            try:
                clicker.account()
            except errors.OtwaError:
                waits.append(math.inf)
                continue
            waits.append(time.time() - started)
            time.sleep(window / args.clicks)

    thread = threading.Thread(target=clicks)
    thread.start()
    for proc in procs:
        proc.wait(timeout=seconds + 60)
    thread.join()
    results = [json.loads(out.read_text()) for out in outs]
    # The first and last windows are partial (start-up, the end of the run).
    windows = otwa_windows([tuple(a) for r in results for a in r["answers"]], window)[1:-1]
    state = requests.get(f"{url}/_sandbox/state", timeout=10).json()["requests"]
    return {
        "variant": variant,
        "windows": windows,
        "per_window_mean": statistics.mean(windows) if windows else 0.0,
        "per_window_min": min(windows, default=0),
        "per_window_max": max(windows, default=0),
        "rate_limited": state["rateLimited"],
        "clicks": len(waits),
        "click_p50_ms": 1000 * statistics.median(waits) if waits else math.nan,
        "click_p99_ms": 1000 * percentile(waits, 0.99) if waits else math.nan,
        "click_max_ms": 1000 * max(waits) if waits else math.nan,
        "window_ms": 1000 * window,
    }


def main(argv: list[str]) -> int:
    if argv and argv[0] == "worker":
        return worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--clicks", type=float, default=2.0, help="interactive calls a window")
    parser.add_argument("--variants", default="today,learned")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="budget-bench-") as tmp_name:
        tmp = Path(tmp_name)
        sandbox, url = start_sandbox(args.time_scale, tmp / "sandbox.log")
        try:
            rows = [run_variant(v, url, args, tmp) for v in args.variants.split(",")]
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    print(
        f"{args.processes} processes, {args.windows} windows of "
        f"{OTWA_WINDOW / args.time_scale * 1000:.0f} ms (sandbox x{args.time_scale:g}), "
        f"{args.clicks:g} interactive calls a window"
    )
    print("| variant | requests per Otwa window (mean / min / max) | 429s | interactive wait "
          "p50 / p99 / max | clicks |")  # fmt: skip
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['variant']} | {r['per_window_mean']:.1f} / {r['per_window_min']} / "
            f"{r['per_window_max']} | {r['rate_limited']} | {r['click_p50_ms']:.1f} / "
            f"{r['click_p99_ms']:.1f} / {r['click_max_ms']:.1f} ms | {r['clicks']} |"
        )
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
