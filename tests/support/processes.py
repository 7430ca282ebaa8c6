"""The real processes tests talk to (sandbox, gunicorn bridge, worker), on loopback.

Thin test defaults over :mod:`bridge.processes`, the launcher ``otwa-bridge dev`` and the
benchmarks use too: every process runs from the repository root and logs to a file under
the test's tmp dir (so a test can grep it for canary secrets), and can be SIGKILLed.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bridge.processes import Child, SandboxProcess, free_port
from bridge.processes import bridge_command as bridge_cmd

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["ROOT", "Process", "Sandbox", "bridge_cmd", "free_port"]


class Process(Child):
    """A child process of the test run, started in the repository root, logging to a file."""

    def __init__(
        self, args: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(args=args, log_path=log_path, env=dict(env or {}), cwd=ROOT)

    @property
    def stop_signal(self) -> int:
        """SIGQUIT for gunicorn (``otwa-bridge serve``), SIGTERM for the others. A test's
        clean-up needs no graceful drain, and gunicorn's (SIGTERM) keeps kept-alive
        connections 2 s; its quick shutdown still lets every worker exit."""
        return signal.SIGQUIT if "serve" in self.args else signal.SIGTERM

    def stop(self) -> None:
        self.kill(self.stop_signal)


class Sandbox(SandboxProcess):
    """A running sandbox with the tests' defaults: x600 time, seed 1."""

    def __init__(
        self,
        tmp: Path,
        *,
        time_scale: float = 600.0,
        seed: int = 1,
        rate_limit_mode: str | None = None,
    ) -> None:
        super().__init__(tmp, time_scale=time_scale, seed=seed, rate_limit_mode=rate_limit_mode)
        self.process.cwd = ROOT

    def _control(self, method: str, path: str, json: Any = None) -> Any:
        return self.control(method, path, json)
