"""The two systems under test, each started as real processes against a given sandbox.

* :class:`BaselineSystem`: bench/baseline.py, the naive module (one process).
* :class:`BridgeSystem`: the bridge as deployed, ``python -m bridge serve`` (gunicorn) plus
  ``python -m bridge worker``, configured for the sandbox's time scale.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

from bench.harness import PANEL_PRODUCT, SYSTEM_KEY, Catalog, RunConfig
from bench.panel_api import PanelApi
from bridge.processes import Child, SandboxProcess, bridge_command, free_port
from bridge.signing import generate_secret


def wait_ready(process: Child, url: str, timeout: float = 30.0) -> None:
    """Block until ``url`` answers 200 (a booting gunicorn may accept and not answer yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive:
            raise RuntimeError(f"{process.args} exited early:\n{process.log()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready within {timeout:g} s:\n{process.log()[-3000:]}")


class BaselineSystem:
    """The naive module of bench/baseline.py."""

    name = "baseline"

    def __init__(self) -> None:
        self.secret = generate_secret()
        self.hook_url = ""
        self.process: Child | None = None

    def start(
        self, sandbox: SandboxProcess, cfg: RunConfig, catalog: Catalog, workdir: Path
    ) -> None:
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/v1/hooks/whmcs"
        self.process = Child(
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
        wait_ready(self.process, f"http://127.0.0.1:{port}/healthz")

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
# Written by bench/systems.py for one benchmark run (the WHMCS panel, as in production).
[panels.whmcs]
adapter = "whmcs"
secrets_env = "BRIDGE_WHMCS_HOOK_SECRETS"
api_url = "{panel_api}"
api_identifier_env = "BENCH_WHMCS_API_IDENTIFIER"
api_secret_env = "BENCH_WHMCS_API_SECRET"
notify_admins = true
label_template = "{{panel}}-{{service}}-g{{generation}}"
hostname_template = "{{panel}}-{{service}}"

[panels.whmcs.os]
option = "Operating System"
default = "{os_template}"
[panels.whmcs.os.values]
"{os_template}" = "{os_template}"

[panels.whmcs.products.{product}]
plan = "{plan}"
regions = ["{region}"]
"""


def bridge_settings(cfg: RunConfig, workdir: Path, otwa_url: str) -> dict[str, str]:
    """``BRIDGE_*`` settings putting the bridge on the sandbox's clock.

    Durations the bridge measures on its own (wall) clock but that stand for Otwa time are
    divided by the time scale: the rate window (60 s of sandbox time), the build poll
    interval, the earliest first poll (the shortest build, 60 s), the job retry backoff
    and the worker's idle sleep. The hook's inline deadline and HTTP timeouts are about
    real waiting, so they keep their defaults.
    """
    scaled = {
        "OTWA_RATE_WINDOW": 60.0,
        "BUILD_POLL_INTERVAL": cfg.poll_interval_sandbox,
        "BUILD_MIN_SECONDS": 60.0,
        "JOB_BACKOFF_BASE": 2.0,
        "JOB_BACKOFF_CAP": 600.0,
        "WORKER_IDLE_SECONDS": 0.5,
    }
    env = {f"BRIDGE_{k}": repr(cfg.wall(v)) for k, v in scaled.items()}
    env.update(
        BRIDGE_CONFIG=str(workdir / "bridge.toml"),
        BRIDGE_DATABASE=str(workdir / "bridge.sqlite"),
        BRIDGE_OTWA_BUDGET_PATH=str(workdir / "otwa-budget.sqlite"),
        BRIDGE_OTWA_BASE_URL=otwa_url,
        BRIDGE_OTWA_API_KEY=SYSTEM_KEY,
        BRIDGE_LOG_LEVEL="WARNING",
        BENCH_WHMCS_API_IDENTIFIER="bench-identifier",
        BENCH_WHMCS_API_SECRET="bench-api-secret",
    )
    return env


class BridgeSystem:
    """The bridge as deployed: ``python -m bridge serve`` (gunicorn, 2 workers) and one
    ``python -m bridge worker``, with a stand-in WHMCS API receiving the write-backs."""

    name = "bridge"

    def __init__(
        self,
        workers: int = 2,
        job_workers: int = 1,
        overrides: dict[str, str] | None = None,
        port: int | None = None,
        regions: list[str] | None = None,
    ) -> None:
        """``workers``: gunicorn workers (``serve --workers``); ``job_workers``: how many
        ``bridge worker`` processes; ``overrides``: extra ``BRIDGE_<NAME>`` settings for
        what-if runs (they win over the scaled ones); ``port``: where gunicorn listens
        (default: a free one at start), for settings that name the bridge's own URL;
        ``regions``: offer the product in all of these, chosen by a "Location" option
        (``r0``, ``r1``...; default: the catalog's one region)."""
        self.workers = workers
        self.job_workers = job_workers
        self.overrides = dict(overrides or {})
        self.port = port
        self.regions = list(regions or [])
        self.secret = generate_secret()
        self.hook_url = ""
        self.processes: list[Child] = []
        self.panel_api: PanelApi | None = None

    def start(
        self, sandbox: SandboxProcess, cfg: RunConfig, catalog: Catalog, workdir: Path
    ) -> None:
        for stale in ("bridge.sqlite", "otwa-budget.sqlite"):
            for path in workdir.glob(stale + "*"):
                path.unlink()
        self.panel_api = PanelApi().start()
        text = BRIDGE_TOML.format(
            panel_api=self.panel_api.url,
            os_template=catalog.os_template,
            product=PANEL_PRODUCT,
            plan=catalog.plan_name,
            region='", "'.join(self.regions or [catalog.region]),  # regions = ["a", "b"]
        )
        if self.regions:
            text += '\n[panels.whmcs.region]\noption = "Location"\n[panels.whmcs.region.values]\n'
            text += "".join(f'"r{i}" = "{r}"\n' for i, r in enumerate(self.regions))
        (workdir / "bridge.toml").write_text(text)
        env = bridge_settings(cfg, workdir, sandbox.api)
        env["BRIDGE_WHMCS_HOOK_SECRETS"] = self.secret
        env.update({f"BRIDGE_{k.upper()}": v for k, v in self.overrides.items()})
        port = self.port or free_port()
        self.hook_url = f"http://127.0.0.1:{port}/v1/hooks/whmcs"
        bridge = bridge_command()
        serve = Child(
            [*bridge, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers)],
            workdir / "bridge-serve.log",
            env=env,
        ).start()
        self.processes.append(serve)
        wait_ready(serve, f"http://127.0.0.1:{port}/healthz")
        for n in range(self.job_workers):
            log = workdir / f"bridge-worker{n or ''}.log"
            self.processes.append(Child([*bridge, "worker"], log, env=env).start())

    def pids(self) -> list[int]:
        return [p.popen.pid for p in self.processes if p.popen is not None]

    def delivered(self) -> int:
        return self.panel_api.delivered if self.panel_api else 0

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()
        if self.panel_api is not None:
            self.panel_api.stop()

    def log(self) -> str:
        return "\n".join(p.log()[-2000:] for p in self.processes)
