"""``python -m bench.ledger_intake``: what booking costs a hook, the ledger on vs off.

The bridge under gunicorn (2 workers, bridge/gunicorn_conf.py) against the sandbox (x60),
fed signed hooks open loop (each due at t0 + i/rate, from enough threads that a slow reply
never delays the next), one run after another on the same machine:

* **create, ledger on / off** (``BRIDGE_LEDGER_ENABLED``): the inline create, whose Otwa
  answer is followed by the durable booking of its first month when the ledger is on. The
  difference is what the ledger adds to the hook panels wait on most.
* **invoice_paid** (ledger on): verify, parse, book every line and remember the hook in
  one durable commit; beside **validate**, the same intake answered at once with a
  non-durable remember (no money) — the path without the booking; and **invoice_paid,
  ledger off**: refused (503) before anything is written.

Prints p50 / p99 / max per run (ms) and returns them. Imports nothing from tests/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from bridge.processes import Child, SandboxProcess, free_port
from bridge.signing import generate_secret, sign_headers

CONFIG = """
[panels.generic]
adapter = "generic"
[panels.generic.os]
default = "ubuntu-24.04"
[panels.generic.os.values]
"ubuntu-24.04" = "ubuntu-24.04"
[panels.generic.products.starter]
plan = "Starter"
regions = ["tr-ist-01"]
"""


@dataclass(frozen=True)
class Latency:
    """One open-loop run: how many hooks, their statuses, latency quantiles (ms)."""

    name: str
    hooks: int
    statuses: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float


def _body(action: str, n: int, tag: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": action,
        "service": {"id": f"{tag}{n:06d}", "product_id": "starter"},
        "client": {"id": "c1"},
    }
    if action == "invoice_paid":
        body["params"] = {"invoice": {"id": f"{tag}{n:06d}", "currency": "USD", "lines": [
            {"id": "1", "amount": "12.00"}, {"id": "2", "amount": "-2.00"}]}}  # fmt: skip
    return body


def open_loop(
    url: str, secret: str, action: str, count: int, rate: float, tag: str, label: str = ""
) -> Latency:
    """``count`` distinct signed ``action`` hooks at ``rate`` per second; their latencies."""
    raws = [json.dumps(_body(action, i, tag), separators=(",", ":")).encode() for i in range(count)]
    latencies = [0.0] * count
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    local = threading.local()
    t0 = time.monotonic() + 0.5

    def send(i: int) -> None:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
        headers = sign_headers([secret], raws[i], msg_id=f"msg_{tag}{i:06d}")
        headers["Content-Type"] = "application/json"
        started = time.monotonic()
        r = session.post(f"{url}/v1/hooks/generic", data=raws[i], headers=headers, timeout=30)
        latencies[i] = (time.monotonic() - started) * 1000
        with lock:
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(send, range(count)))
    ordered = sorted(latencies)
    return Latency(
        name=f"{action}, {label}" if label else action,
        hooks=count,
        statuses=statuses,
        p50_ms=round(statistics.median(ordered), 2),
        p99_ms=round(ordered[min(count - 1, count * 99 // 100)], 2),
        max_ms=round(ordered[-1], 2),
    )


def _bridge(
    work: Path, sandbox: SandboxProcess, secret: str, ledger: bool, name: str
) -> tuple[Child, str]:
    port = free_port()
    env = {
        "BRIDGE_CONFIG": str(work / "bridge.toml"),
        "BRIDGE_DATABASE": str(work / f"{name}.sqlite"),
        "BRIDGE_OTWA_BUDGET_PATH": str(work / f"{name}-budget.sqlite"),
        "BRIDGE_OTWA_BASE_URL": sandbox.api,
        "BRIDGE_OTWA_RATE_WINDOW": "1",  # the sandbox runs x60: its minute is our second
        "BRIDGE_GENERIC_HOOK_SECRETS": secret,
        "BRIDGE_LOG_LEVEL": "WARNING",
        "BRIDGE_LEDGER_ENABLED": "true" if ledger else "false",
    }
    args = [sys.executable, "-m", "gunicorn", "--config", "python:bridge.gunicorn_conf",
            "--workers", "2", "--bind", f"127.0.0.1:{port}", "bridge:create_app()"]  # fmt: skip
    child = Child(args, work / f"{name}.log", env=env).start()
    child.wait_http(f"http://127.0.0.1:{port}/healthz", 60, ok_only=False)
    return child, f"http://127.0.0.1:{port}"


def run(hooks: int = 300, rate: float = 25.0, work: Path | None = None) -> list[Latency]:
    """Every run of the module docstring, ``hooks`` hooks each at ``rate`` per second."""
    work = work or Path(tempfile.mkdtemp(prefix="bench-ledger-intake-"))
    (work / "bridge.toml").write_text(CONFIG)
    sandbox = SandboxProcess(work, time_scale=60, seed=7).start()
    secret = generate_secret()
    out: list[Latency] = []
    try:
        for ledger in (True, False):
            sandbox.reset()
            sandbox.set_balance("otwa_sandbox_default", "100000.00")
            name = "on" if ledger else "off"
            child, url = _bridge(work, sandbox, secret, ledger, name)
            try:
                label = f"ledger {name}"
                out.append(open_loop(url, secret, "create", hooks, rate, f"c{name}", label))
                out.append(open_loop(url, secret, "invoice_paid", hooks, rate, f"i{name}", label))
                if ledger:
                    out.append(open_loop(url, secret, "validate", hooks, rate, f"v{name}", label))
            finally:
                child.stop()
    finally:
        sandbox.stop()
    return out


def print_table(results: list[Latency]) -> None:
    print(f"{'hook':<24}{'hooks':>7}{'p50':>10}{'p99':>10}{'max':>10}  statuses")
    for r in results:
        print(
            f"{r.name:<24}{r.hooks:>7}{r.p50_ms:>8.1f}ms{r.p99_ms:>8.1f}ms{r.max_ms:>8.1f}ms"
            f"  {r.statuses}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_intake", description=__doc__)
    parser.add_argument("--hooks", type=int, default=300, help="hooks per run")
    parser.add_argument("--rate", type=float, default=25.0, help="hooks per second")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    results = run(args.hooks, args.rate)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
