"""The two systems under test, each started as real processes against a given sandbox.

* :class:`BaselineSystem`: bench/baseline.py, the naive module (one process).
* :class:`BridgeSystem`: the bridge as deployed, ``python -m bridge serve`` (gunicorn) plus
  ``python -m bridge worker``, configured for the sandbox's time scale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests

from bench.harness import PANEL_PRODUCT, SYSTEM_KEY, Catalog, RunConfig
from bridge.web.signing import generate_secret
from tests.support.processes import Process, Sandbox, free_port


class BaselineSystem:
    """The naive module of bench/baseline.py."""

    name = "baseline"

    def __init__(self) -> None:
        self.secret = generate_secret()
        self.hook_url = ""
        self.process: Process | None = None

    def start(self, sandbox: Sandbox, cfg: RunConfig, catalog: Catalog, workdir: Path) -> None:
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/v1/hooks/whmcs"
        self.process = Process(
            [
                sys.executable,
                "-m",
                "bench.baseline",
                "--port",
                str(port),
                "--otwa-url",
                sandbox.api,
                "--poll-interval",
                str(cfg.wall(cfg.poll_interval_sandbox)),
            ],
            workdir / "baseline.log",
            env={
                "BENCH_OTWA_KEY": SYSTEM_KEY,
                "BENCH_HOOK_SECRET": self.secret,
                "BENCH_PRODUCTS": json.dumps({PANEL_PRODUCT: catalog.create_body()}),
            },
        ).start()
        self.process.wait_http(f"http://127.0.0.1:{port}/healthz")

    def pids(self) -> list[int]:
        if self.process is None or self.process.popen is None:
            return []
        return [self.process.popen.pid]

    def delivered(self) -> int:
        reply = requests.get(self.hook_url.split("/v1/")[0] + "/healthz", timeout=5)
        return int(reply.json()["credentials"])

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def log(self) -> str:
        return self.process.log() if self.process else ""


BRIDGE_TOML = """\
# Written by bench/systems.py for one benchmark run.
[bridge]
database = "{database}"
otwa_base_url = "{otwa}"
otwa_budget_path = "{budget}"
otwa_rate_window = {window}
build_poll_interval = {poll}
build_min_seconds = {build_min}
log_level = "WARNING"

[panels.generic]
adapter = "generic"
secrets_env = "BRIDGE_GENERIC_HOOK_SECRETS"

[panels.generic.os]
option = "os"
default = "{os_template}"
[panels.generic.os.values]
"{os_template}" = "{os_template}"

[panels.generic.products.{product}]
plan = "{plan}"
regions = ["{region}"]
"""


class BridgeSystem:
    """The bridge: ``python -m bridge serve`` (gunicorn) and ``python -m bridge worker``.

    Every time-related setting is divided by the sandbox's time scale, so the bridge lives
    on the sandbox's clock: the rate window (60 s of sandbox time), the build poll
    interval and the earliest first poll (60 s, the shortest build).
    """

    name = "bridge"
    workers = 2

    def __init__(self) -> None:
        self.secret = generate_secret()
        self.hook_url = ""
        self.processes: list[Process] = []

    def start(self, sandbox: Sandbox, cfg: RunConfig, catalog: Catalog, workdir: Path) -> None:
        toml = workdir / "bridge.toml"
        toml.write_text(
            BRIDGE_TOML.format(
                database=workdir / "bridge.sqlite",
                otwa=sandbox.api,
                budget=workdir / "otwa-budget.sqlite",
                window=cfg.wall(60.0),
                poll=cfg.wall(cfg.poll_interval_sandbox),
                build_min=cfg.wall(60.0),
                os_template=catalog.os_template,
                product=PANEL_PRODUCT,
                plan=catalog.plan_name,
                region=catalog.region,
            )
        )
        env = {
            "BRIDGE_CONFIG": str(toml),
            "BRIDGE_OTWA_API_KEY": SYSTEM_KEY,
            "BRIDGE_GENERIC_HOOK_SECRETS": self.secret,
        }
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/v1/hooks/generic"
        bridge = [sys.executable, "-m", "bridge"]
        serve = Process(
            [*bridge, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers)],
            workdir / "bridge-serve.log",
            env=env,
        ).start()
        self.processes.append(serve)
        serve.wait_http(f"http://127.0.0.1:{port}/healthz")
        worker = Process([*bridge, "worker"], workdir / "bridge-worker.log", env=env).start()
        self.processes.append(worker)

    def pids(self) -> list[int]:
        return [p.popen.pid for p in self.processes if p.popen is not None]

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()

    def log(self) -> str:
        return "\n".join(p.log()[-2000:] for p in self.processes)
