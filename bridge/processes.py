"""Starting the bridge's own processes: one launcher for ``otwa-bridge dev``, the tests and
the benchmarks.

:class:`Child` runs ``python -m bridge <command>`` (or any argv) with extra environment,
its output in a log file (or inherited), and can wait for it to answer HTTP, stop it
politely or kill it outright. :class:`SandboxProcess` is a running ``otwa-bridge sandbox``
with its control API (``/_sandbox``): what users' own test suites can start, like moto's
server mode.
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

from bridge.files import private_file


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bridge_command(*args: str) -> list[str]:
    """``python -m bridge <args>`` with this interpreter."""
    return [sys.executable, "-m", "bridge", *args]


@dataclass
class Child:
    """A child process with its environment and log file.

    ``env`` is added to this process's environment. ``log_path`` None inherits stdout and
    stderr (``otwa-bridge dev`` shows its children's logs); a path appends both to it.
    """

    args: Sequence[str]
    log_path: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        env = {**os.environ, **self.env}
        if self.log_path is None:
            self.popen = subprocess.Popen(list(self.args), cwd=self.cwd, env=env)
            return self
        private_file(self.log_path)  # logs of var/ are the bridge's own: 0600
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.args), cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        """The log so far ("" when the output is inherited)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def wait_http(self, url: str, timeout: float = 30.0, *, ok_only: bool = False) -> None:
        """Block until ``url`` answers (any status, or 2xx with ``ok_only``); raise
        RuntimeError with the log if the process died, TimeoutError when it never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(self.args)} exited with {self.popen.returncode}:\n"
                    + self.log()[-3000:]
                )
            try:
                answer = requests.get(url, timeout=2)
                if answer.ok or not ok_only:
                    return
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{url} did not answer within {timeout:g}s:\n{self.log()[-3000:]}")

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
        """Terminate politely (SIGTERM), then kill."""
        self.kill(signal.SIGTERM)


class SandboxProcess:
    """A running ``otwa-bridge sandbox`` on a free loopback port, and its control API."""

    def __init__(
        self,
        log_dir: Path,
        *,
        time_scale: float = 1.0,
        seed: int | None = None,
        port: int | None = None,
        rate_limit_mode: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/api/v1"
        self.time_scale = time_scale
        args = ["sandbox", "--port", str(self.port), "--time-scale", str(time_scale)]
        if seed is not None:
            args += ["--seed", str(seed)]
        if rate_limit_mode is not None:
            args += ["--rate-limit-mode", rate_limit_mode]
        self.process = Child(
            bridge_command(*args, *extra_args), Path(log_dir) / f"sandbox-{self.port}.log"
        )

    def start(self, timeout: float = 30.0) -> SandboxProcess:
        self.process.start()
        self.process.wait_http(f"{self.url}/_sandbox/state", timeout)
        return self

    def stop(self) -> None:
        self.process.stop()

    def control(self, method: str, path: str, json: Any = None) -> Any:
        """Call ``/_sandbox<path>``; the JSON answer (None when empty)."""
        r = requests.request(method, f"{self.url}/_sandbox{path}", json=json, timeout=10)
        r.raise_for_status()
        return r.json() if r.content else None

    def reset(self) -> None:
        self.control("POST", "/reset")

    def advance(self, seconds: float) -> Any:
        return self.control("POST", "/clock/advance", {"seconds": seconds})

    def set_balance(self, key: str, balance: str) -> Any:
        return self.control("PUT", f"/accounts/{key}/balance", {"balance": balance})

    def faults(self, rate: float, kinds: list[str], seed: int = 1, **extra: Any) -> Any:
        return self.control(
            "POST", "/faults", {"rate": rate, "kinds": kinds, "seed": seed, **extra}
        )

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def state(self) -> Any:
        return self.control("GET", "/state")

    def set_rate_limit_mode(self, mode: str) -> Any:
        """Count from now on in ``fixed`` or ``sliding`` mode (every key starts afresh)."""
        return self.control("PUT", "/ratelimit", {"mode": mode})

    def set_latency(self, seconds: float, routes: list[str] | None = None) -> Any:
        """Every API request (or those of ``routes``) waits ``seconds`` (real) before
        executing; waiting ones go on."""
        body: dict[str, Any] = {"seconds": seconds}
        if routes is not None:
            body["routes"] = routes
        return self.control("PUT", "/latency", body)

    def wait_in_flight(self, n: int, timeout: float = 10.0, *, route: str | None = None) -> None:
        """Block until at least ``n`` API requests are executing (past auth and key checks);
        only those of ``route`` (e.g. ``"POST /api/v1/servers"``) when given."""
        deadline = time.monotonic() + timeout
        while True:
            requests_now = self.state()["requests"]
            seen = (
                requests_now["inFlight"]
                if route is None
                else requests_now["inFlightByRoute"].get(route, 0)
            )
            if seen >= n:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{seen} requests in flight after {timeout}s, wanted {n}")
            time.sleep(0.01)
