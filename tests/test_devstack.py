"""`otwa-bridge dev` (what `make run` starts) brings up a stack that provisions a server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.processes import ROOT, free_port


def _wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def test_dev_stack_provisions_a_server_from_a_sent_hook(tmp_path: Path) -> None:
    # Run from a copy of the config in a scratch dir so var/ of the checkout is untouched.
    work = tmp_path / "work"
    shutil.copytree(ROOT / "config", work / "config")
    shutil.copytree(ROOT / "webhooks", work / "webhooks")
    bridge_port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("BRIDGE_")}
    log = (tmp_path / "dev.log").open("wb")
    dev = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bridge",
            "dev",
            "--bind",
            f"127.0.0.1:{bridge_port}",
            "--sandbox-port",
            str(sandbox_port),
            "--time-scale",
            "600",
            "--workers",
            "1",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: "otwa-bridge is running" in (tmp_path / "dev.log").read_text(), 60)
        secrets = (work / "var/dev.env").read_text()
        assert (work / "var/dev.env").stat().st_mode & 0o077 == 0
        send_env = {**env}
        for line in secrets.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            send_env[name] = value
        sent = subprocess.run(
            [
                sys.executable,
                "-m",
                "bridge",
                "send",
                "--url",
                f"http://127.0.0.1:{bridge_port}",
                "--panel",
                "generic",
                "create",
                "--service",
                "demo-1",
                "--product",
                "starter",
                "--client",
                "7",
                "--option",
                "os=ubuntu-24.04",
            ],
            cwd=work,
            env=send_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr

        def running() -> list:
            state = requests.get(
                f"http://127.0.0.1:{sandbox_port}/_sandbox/state", timeout=5
            ).json()
            return [s for s in state["servers"] if s["status"] == "running"]

        servers = _wait_for(running, 60)
        assert len(servers) == 1
        assert "demo-1" in servers[0]["label"]
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        dev.wait(timeout=30)
        log.close()
    assert "Traceback" not in (tmp_path / "dev.log").read_text()
