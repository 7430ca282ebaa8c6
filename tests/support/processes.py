"""Start the real processes tests talk to (sandbox, gunicorn bridge, worker) on loopback.

Every process runs as ``python -m bridge ...`` in a subprocess, logs to a file under the
test's tmp dir (so a test can grep it for canary secrets), and can be SIGKILLed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """A child process of the test run with its log file."""

    args: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        env = {**os.environ, **self.env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            list(self.args), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    def wait_http(self, url: str, timeout: float = 20.0) -> None:
        """Block until ``url`` answers any HTTP status; fail with the log if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise RuntimeError(f"{self.args} exited early:\n{self.log()}")
            try:
                requests.get(url, timeout=2)
                return
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.05)
        raise TimeoutError(f"{url} did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (SIGKILL by default: no clean-up runs) and reap the process."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def stop(self) -> None:
        """Terminate politely, then kill."""
        self.kill(signal.SIGTERM)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def bridge_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "bridge", *args]


class Sandbox:
    """A running ``otwa-bridge sandbox`` and its control API."""

    def __init__(
        self,
        tmp: Path,
        *,
        time_scale: float = 600.0,
        seed: int = 1,
        rate_limit_mode: str | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/api/v1"
        self.time_scale = time_scale
        self.process = Process(
            bridge_cmd(
                "sandbox",
                "--port",
                str(self.port),
                "--time-scale",
                str(time_scale),
                "--seed",
                str(seed),
                *(["--rate-limit-mode", rate_limit_mode] if rate_limit_mode else []),
            ),
            tmp / f"sandbox-{self.port}.log",
        )

    def start(self) -> Sandbox:
        self.process.start()
        self.process.wait_http(f"{self.url}/_sandbox/state")
        return self

    def stop(self) -> None:
        self.process.stop()

    def _control(self, method: str, path: str, json: Any = None) -> Any:
        r = requests.request(method, f"{self.url}/_sandbox{path}", json=json, timeout=10)
        r.raise_for_status()
        return r.json() if r.content else None

    def reset(self) -> None:
        self._control("POST", "/reset")

    def advance(self, seconds: float) -> Any:
        return self._control("POST", "/clock/advance", {"seconds": seconds})

    def set_balance(self, key: str, balance: str) -> Any:
        return self._control("PUT", f"/accounts/{key}/balance", {"balance": balance})

    def faults(self, rate: float, kinds: list[str], seed: int = 1, **extra: Any) -> Any:
        return self._control(
            "POST", "/faults", {"rate": rate, "kinds": kinds, "seed": seed, **extra}
        )

    def clear_faults(self) -> None:
        self._control("DELETE", "/faults")

    def state(self) -> Any:
        return self._control("GET", "/state")

    def set_rate_limit_mode(self, mode: str) -> Any:
        """Count from now on in ``fixed`` or ``sliding`` mode (every key starts afresh)."""
        return self._control("PUT", "/ratelimit", {"mode": mode})

    def set_latency(self, seconds: float) -> Any:
        """Every API request waits ``seconds`` (real) before executing; waiting ones go on."""
        return self._control("PUT", "/latency", {"seconds": seconds})

    def wait_in_flight(self, n: int, timeout: float = 10.0) -> None:
        """Block until at least ``n`` API requests are executing (past auth and key checks)."""
        deadline = time.monotonic() + timeout
        while (seen := self.state()["requests"]["inFlight"]) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{seen} requests in flight after {timeout}s, wanted {n}")
            time.sleep(0.01)
