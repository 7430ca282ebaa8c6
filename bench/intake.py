"""``python -m bench.intake``: hook intake throughput, the bridge beside bare Flask.

Closed loop with wrk (16 connections, 15 s by default), both apps under gunicorn with the
same configuration (2 workers x 4 threads, bridge/gunicorn_conf.py). The bridge is measured
where a launch-day burst puts it: Otwa's budget is spent, so every signed ``create`` hook is
verified, validated, recorded durably and queued for the worker (202). Each request is a
distinct, validly signed hook (unique webhook-id and service), generated before the run.

Then an open-loop run at half the bridge's closed-loop rate gives the acknowledge latency a
panel sees when the bridge is not saturated (target p99 <= 50 ms).

Reports requests/s, the ratio to bare Flask, latency percentiles and CPU per hook (user +
system CPU of every gunicorn process during the run / requests answered).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.harness import _cpu_seconds, descendants, percentile
from bridge.processes import Child, SandboxProcess, bridge_command, free_port
from bridge.signing import generate_secret, sign_headers

KEY = "otwa_sandbox_default"
PRODUCT = "starter"
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

WRK_SCRIPT = r"""
-- Cycle through pre-signed requests; thread k takes lines k, k+T, k+2T ...
local lines, n, pos = {}, 0, 0
local threads_seen = 0
function setup(thread)
  thread:set("tid", threads_seen)
  threads_seen = threads_seen + 1
end
function init(args)
  local path, step = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % step == tid then
      n = n + 1
      lines[n] = line
    end
    i = i + 1
  end
end
function request()
  pos = pos % n + 1
  local id, ts, sig, body = lines[pos]:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
  return wrk.format("POST", "/v1/hooks/generic", {
    ["Content-Type"] = "application/json",
    ["webhook-id"] = id, ["webhook-timestamp"] = ts, ["webhook-signature"] = sig,
  }, body)
end
"""


@dataclass
class IntakeResult:
    """One closed-loop run of one app."""

    name: str
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    cpu_ms_per_request: float
    statuses: dict[str, int] = field(default_factory=dict)


def _signed_lines(path: Path, count: int, secret: str, prefix: str) -> None:
    """``count`` distinct signed create hooks, one per line: id, timestamp, signature, body."""
    with path.open("w") as out:
        for i in range(count):
            body = json.dumps(
                {
                    "action": "create",
                    "service": {"id": f"{prefix}{i:07d}", "product_id": PRODUCT},
                    "client": {"id": "c1"},
                },
                separators=(",", ":"),
            ).encode()
            h = sign_headers([secret], body, msg_id=f"msg_{prefix}{i:07d}")
            out.write(
                f"{h['webhook-id']}\t{h['webhook-timestamp']}\t{h['webhook-signature']}\t"
                f"{body.decode()}\n"
            )


def _wrk(url: str, lines: Path, script: Path, threads: int, conns: int, seconds: int) -> str:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk; `make bench` does it)")
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(script),
         url, "--", str(lines), str(threads)],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    return out.stdout


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _parse(name: str, out: str, cpu: float) -> IntakeResult:
    total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))  # type: ignore[union-attr]
    seconds = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return IntakeResult(
        name=name,
        requests=total,
        seconds=seconds,
        per_second=per_second,
        p50_ms=p50,
        p99_ms=p99,
        non_2xx=int(bad.group(1)) if bad else 0,
        cpu_ms_per_request=1000 * cpu / max(1, total),
    )


def _tree_cpu(pid: int) -> float:
    return sum(_cpu_seconds(p) or 0.0 for p in descendants([pid]))


def _gunicorn(args: list[str], env: dict[str, str], log: Path, port: int) -> Child:
    child = Child(args, log, env=env).start()
    child.wait_http(f"http://127.0.0.1:{port}/healthz", 60, ok_only=False)
    return child


def _measure(name: str, child: Child, port: int, lines: Path, cfg: argparse.Namespace) -> Any:
    script = lines.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    assert child.popen is not None
    before = _tree_cpu(child.popen.pid)
    out = _wrk(f"http://127.0.0.1:{port}", lines, script, cfg.threads, cfg.connections, cfg.seconds)
    cpu = _tree_cpu(child.popen.pid) - before
    return _parse(name, out, cpu), out


def open_loop(url: str, secret: str, rate: float, seconds: float, prefix: str) -> list[float]:
    """Send signed creates at ``rate``/s for ``seconds`` (each due at t0 + i/rate, from
    enough threads that a slow reply never delays the next); the latencies in ms."""
    count = int(rate * seconds)
    bodies = []
    for i in range(count):
        body = json.dumps(
            {"action": "create", "service": {"id": f"{prefix}{i:07d}", "product_id": PRODUCT},
             "client": {"id": "c1"}},
            separators=(",", ":"),
        ).encode()  # fmt: skip
        bodies.append(body)
    latencies: list[float] = [0.0] * count
    session_local = threading.local()
    t0 = time.monotonic() + 0.5

    def send(i: int) -> None:
        session = getattr(session_local, "s", None) or requests.Session()
        session_local.s = session
        due = t0 + i / rate
        time.sleep(max(0.0, due - time.monotonic()))
        headers = sign_headers([secret], bodies[i], msg_id=f"msg_ol_{prefix}{i:07d}")
        headers["Content-Type"] = "application/json"
        started = time.monotonic()
        session.post(f"{url}/v1/hooks/generic", data=bodies[i], headers=headers, timeout=30)
        latencies[i] = (time.monotonic() - started) * 1000

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(send, range(count)))
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of both apps")
    parser.add_argument("--open-loop-seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="write the results here too")
    cfg = parser.parse_args(argv)
    results = run(cfg)
    print(json.dumps(results, indent=2))
    if cfg.json:
        cfg.json.write_text(json.dumps(results, indent=2))
    return 0


def run(cfg: argparse.Namespace) -> dict[str, Any]:
    """Bare Flask, then the bridge, closed loop; then the bridge open loop at half its rate."""
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    lines_needed = 4000 * cfg.seconds  # far above either app's rate
    results: dict[str, Any] = {}
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", "python:bridge.gunicorn_conf",
                "--workers", str(cfg.workers)]  # fmt: skip

    port = free_port()
    bare = _gunicorn(
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "bench.bare_flask:create_app()"],
        {},
        work / "bare.log",
        port,
    )
    try:
        lines = work / "bare.tsv"
        _signed_lines(lines, lines_needed, generate_secret(), "b")
        flask_result, _ = _measure("bare Flask", bare, port, lines, cfg)
    finally:
        bare.stop()
    results["bare_flask"] = asdict(flask_result)

    sandbox = SandboxProcess(work, time_scale=60, seed=7).start()
    port = free_port()
    secret = generate_secret()
    (work / "bridge.toml").write_text(CONFIG)
    env = {
        "BRIDGE_CONFIG": str(work / "bridge.toml"),
        "BRIDGE_DATABASE": str(work / "bridge.sqlite"),
        "BRIDGE_OTWA_BUDGET_PATH": str(work / "budget.sqlite"),
        "BRIDGE_OTWA_BASE_URL": sandbox.api,
        "BRIDGE_GENERIC_HOOK_SECRETS": secret,
        "BRIDGE_LOG_LEVEL": "WARNING",
        # The budget is spent for the whole run: every hook is recorded and queued.
        "BRIDGE_OTWA_RATE_LIMIT": "1",
        "BRIDGE_OTWA_RATE_RESERVE": "0",
        "BRIDGE_OTWA_RATE_WINDOW": "3600",
    }
    bridge = _gunicorn(
        [*bridge_command("serve"), "--bind", f"127.0.0.1:{port}", "--workers", str(cfg.workers)],
        env,
        work / "bridge.log",
        port,
    )
    try:
        # Spend the one slot, so the measured hooks all meet an exhausted budget.
        requests.get(f"{sandbox.api}/account", headers={"Authorization": f"Bearer {KEY}"})
        warm = work / "warm.tsv"
        _signed_lines(warm, 200, secret, "w")
        for line in warm.read_text().splitlines()[:50]:
            wid, ts, sig, body = line.split("\t")
            requests.post(
                f"http://127.0.0.1:{port}/v1/hooks/generic",
                data=body,
                headers={"webhook-id": wid, "webhook-timestamp": ts, "webhook-signature": sig,
                         "Content-Type": "application/json"},
                timeout=30,
            )  # fmt: skip
        lines = work / "bridge.tsv"
        _signed_lines(lines, lines_needed, secret, "q")
        bridge_result, out = _measure("bridge", bridge, port, lines, cfg)
        results["bridge"] = asdict(bridge_result)
        results["ratio"] = round(bridge_result.per_second / flask_result.per_second, 3)
        rate = max(1.0, bridge_result.per_second / 2)
        latencies = open_loop(f"http://127.0.0.1:{port}", secret, rate, cfg.open_loop_seconds, "o")
        results["open_loop"] = {
            "rate": round(rate, 1),
            "hooks": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
        }
    finally:
        bridge.stop()
        sandbox.stop()
    results["machine_cpus"] = os.cpu_count()
    return results


if __name__ == "__main__":
    raise SystemExit(main())
