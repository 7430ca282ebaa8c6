"""Run the bridge's moving parts together from tests: sandbox, fake WHMCS, worker(s) and
(optionally) gunicorn, all as real processes on loopback, sharing one SQLite file.

Typical use (see docs/provisioning.md, "Testing")::

    env = BridgeEnv(tmp_path, sandbox, whmcs)          # config file + settings + env vars
    outcome = env.submit(env.command("create", "42"))  # record + run_inline, like the hook
    with env.worker() as w:                            # `python -m bridge worker`
        env.wait_for(lambda: env.op(op_id)["state"] == "done")

    stack = Stack(tmp_path, sandbox, whmcs).start(workers=2, serve=True)
    stack.hook("whmcs", body)                          # signed POST /v1/hooks/whmcs
    stack.stop()

Settings are shrunk for speed (builds polled every 0.1 s, leases of a few seconds, a rate
window scaled like the sandbox clock); pass ``overrides`` to change any of them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

from bridge import runtime, store
from bridge.clock import Clock
from bridge.provisioning import Command, Outcome, outcome_of, record, run_inline
from bridge.provisioning import worker as provisioning_worker
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import Process, Sandbox, bridge_cmd, free_port

HOOK_SECRET = "whsec_" + base64.b64encode(b"stack-test-secret-0123456789abcd").decode()

PANEL_TOML = """
[panels.whmcs]
adapter = "whmcs"
api_url = "{api_url}"
notify_admins = true
label_template = "{{panel}}-{{service}}-g{{generation}}"
{panel_keys}

[panels.whmcs.os]
option = "Operating System"
default = "Ubuntu 24.04"
[panels.whmcs.os.values]
"Ubuntu 24.04" = "ubuntu-24.04"
"Debian 12" = "debian-12"
"Rocky Linux 10.1" = "rocky-10.1"

[panels.whmcs.addons."Extra IPv4"]
"Yes" = "extra-ip"
"No" = ""
[panels.whmcs.addons."Backups"]
"Daily" = "backup"
"None" = ""

[panels.whmcs.products.1]
plan = "Starter"
regions = ["tr-ist-01", "de-fra-01"]

[panels.whmcs.products.2]
plan = "Standard"
regions = ["tr-ist-01", "de-fra-01", "nl-ams-01"]
"""


class BridgeEnv:
    """Config file, settings and environment of one test's bridge (one SQLite file)."""

    def __init__(
        self,
        tmp: Path,
        sandbox: Sandbox,
        whmcs: FakeWhmcs | None = None,
        overrides: Mapping[str, Any] | None = None,
        *,
        api_url: str | None = None,
        clock: Clock | None = None,
        extra_toml: str = "",
        panel_keys: str = "",
    ) -> None:
        self.tmp = tmp
        self.sandbox = sandbox
        self.whmcs = whmcs
        self.db_path = tmp / "bridge.sqlite"
        self.config_path = tmp / "bridge.toml"
        url = api_url or (whmcs.api_url if whmcs else "http://127.0.0.1:9/includes/api.php")
        # panel_keys: more keys of [panels.whmcs] (e.g. client_area_url = "...").
        self.config_path.write_text(
            PANEL_TOML.format(api_url=url, panel_keys=panel_keys) + extra_toml
        )
        scale = sandbox.time_scale
        self.values: dict[str, Any] = {
            "CONFIG": str(self.config_path),
            "DATABASE": str(self.db_path),
            "OTWA_BASE_URL": sandbox.api,
            "OTWA_BUDGET_PATH": str(tmp / "budget.sqlite"),
            "OTWA_RATE_WINDOW": 60.0 / scale,
            "OTWA_TIMEOUT": 2.0,
            "INLINE_DEADLINE": 1.5,
            "INLINE_HOLD_SECONDS": 0.0,  # record-only tests hand jobs to the worker at once
            "BUILD_MIN_SECONDS": 60.0 / scale,
            "BUILD_POLL_INTERVAL": 0.1,
            "JOB_LEASE_SECONDS": 4.0,
            "JOB_MAX_ATTEMPTS": 6,
            "JOB_BACKOFF_BASE": 0.05,
            "JOB_BACKOFF_CAP": 0.5,
            "WORKER_IDLE_SECONDS": 0.05,
            "WRITEBACK_TIMEOUT": 2.0,
            **(overrides or {}),
        }
        self.extra_env: dict[str, str] = {
            "BRIDGE_WHMCS_HOOK_SECRETS": HOOK_SECRET,
            **(whmcs.env() if whmcs else {}),
        }
        self.clock = clock
        self.bridge = self.build_bridge(clock)
        self.bridge.migrate()

    def reconfigure(self, **overrides: Any) -> None:
        """Change settings (upper-case names) for the in-process Bridge and subprocesses."""
        self.values.update(overrides)
        self.bridge = self.build_bridge(self.clock)

    def build_bridge(self, clock: Clock | None = None) -> runtime.Bridge:
        """The in-process Bridge for these settings (panel secrets from ``extra_env``)."""
        return runtime.build(self.values, env=self.extra_env, clock=clock)

    # -- environment of subprocesses -----------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        """BRIDGE_* variables for a `python -m bridge ...` subprocess."""
        out = {f"BRIDGE_{k}": str(v) for k, v in self.values.items()}
        out.update(self.extra_env)
        out["BRIDGE_LOG_LEVEL"] = "INFO"
        out.update(extra)
        return out

    def worker_process(self, name: str = "worker", **extra_env: str) -> Process:
        return Process(bridge_cmd("worker"), self.tmp / f"{name}.log", env=self.env(**extra_env))

    @contextlib.contextmanager
    def worker(self, name: str = "worker", **extra_env: str) -> Iterator[Process]:
        """A worker subprocess for the duration of the block (SIGTERM, then SIGKILL)."""
        proc = self.worker_process(name, **extra_env).start()
        try:
            yield proc
        finally:
            proc.stop()

    def drain_here(self, clock: Clock) -> None:
        """Run the worker in this process until idle, on ``clock`` (e.g. a clock moved past
        Otwa's replay window): the real worker code, with time under the test's control."""
        provisioning_worker.run(self.build_bridge(clock), until_idle=True)

    def drain(self, timeout: float = 60.0, **extra_env: str) -> str:
        """Run `python -m bridge worker --until-idle` to completion; returns its log."""
        import subprocess

        log = self.tmp / "drain.log"
        with log.open("ab") as fh:
            subprocess.run(
                bridge_cmd("worker", "--until-idle"),
                env={**os.environ, **self.env(**extra_env)},
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        return log.read_text(errors="replace")

    def running_service(self, service_id: str, **kw: Any) -> str:
        """Create ``service_id`` and drain the worker until it is built and written back;
        returns the Otwa server id."""
        op_id, outcome = self.submit(self.command("create", service_id, **kw))
        assert outcome.status == 200, outcome
        self.drain()
        op = self.op(op_id)
        assert op["state"] == "done", op
        return str(op["server_id"])

    # -- the hook path, in process ---------------------------------------------------------

    def command(self, action: str, service_id: str, **kw: Any) -> Command:
        kw.setdefault("product_id", "1")
        kw.setdefault("webhook_id", "msg_" + uuid.uuid4().hex[:16])
        kw.setdefault("request_id", "req_" + uuid.uuid4().hex[:12])
        return Command(panel=kw.pop("panel", "whmcs"), action=action, service_id=service_id, **kw)

    def record(self, command: Command) -> str:
        db = store.connect(self.db_path)
        try:
            with store.write(db):
                return record(db, command, self.bridge)
        finally:
            db.close()

    def submit(self, command: Command) -> tuple[str, Outcome]:
        """What the hook view does: record in one transaction, then try inline."""
        op_id = self.record(command)
        return op_id, run_inline(self.bridge, op_id)

    def outcome(self, op_id: str) -> Outcome:
        db = store.connect(self.db_path)
        try:
            return outcome_of(db, op_id)
        finally:
            db.close()

    # -- looking at the database ---------------------------------------------------------

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        conn = sqlite3.connect(self.db_path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params or [])]
        finally:
            conn.close()

    def op(self, op_id: str) -> dict[str, Any]:
        rows = self.rows("SELECT * FROM operations WHERE id = ?", [op_id])
        assert rows, op_id
        op = rows[0]
        op["result"] = json.loads(op["result"]) if op["result"] else None
        return op

    def jobs(self, op_id: str) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM jobs WHERE operation_id = ? ORDER BY id", [op_id])

    def service(self, service_id: str, panel: str = "whmcs") -> dict[str, Any]:
        rows = self.rows(
            "SELECT * FROM services WHERE panel = ? AND service_id = ?", [panel, service_id]
        )
        assert rows, service_id
        return rows[0]

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_state(self, op_id: str, *states: str, timeout: float = 30.0) -> dict[str, Any]:
        self.wait_for(lambda: self.op(op_id)["state"] in states, timeout, f"{op_id} in {states}")
        return self.op(op_id)

    # -- looking at the sandbox ------------------------------------------------------------

    def servers(self, label_prefix: str | None = None, *, live: bool = True) -> list[dict]:
        servers = self.sandbox.state()["servers"]
        if label_prefix is not None:
            servers = [s for s in servers if str(s.get("label", "")).startswith(label_prefix)]
        if live:
            servers = [s for s in servers if s.get("status") != "terminated"]
        return servers

    def credentials(self, server_id: str) -> dict[str, Any]:
        r = requests.get(
            f"{self.sandbox.api}/servers/{server_id}/credentials",
            headers={"Authorization": "Bearer otwa_sandbox_readonly"},
            timeout=5,
        )
        r.raise_for_status()
        return dict(r.json())


class Stack(BridgeEnv):
    """BridgeEnv plus gunicorn (`python -m bridge serve`) and N workers as processes."""

    def __init__(
        self,
        tmp: Path,
        sandbox: Sandbox,
        whmcs: FakeWhmcs | None = None,
        overrides: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        # Workers run beside gunicorn: leave each hook's job to its inline attempt first.
        overrides = {"INLINE_HOLD_SECONDS": 3.0, **(overrides or {})}
        super().__init__(tmp, sandbox, whmcs, overrides, **kwargs)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web: Process | None = None
        self.workers: list[Process] = []

    def start(
        self, *, workers: int = 1, serve: bool = True, web_workers: int = 2, **web_env: str
    ) -> Stack:
        """Start gunicorn (``web_env``: extra variables, e.g. ``BRIDGE_CRASH_AT``) and
        ``workers`` worker processes."""
        if serve:
            self.web = Process(
                bridge_cmd(
                    "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(web_workers)
                ),
                self.tmp / "gunicorn.log",
                env=self.env(**web_env),
            ).start()
            self.wait_web()
        for n in range(workers):
            self.add_worker(f"worker-{n}")
        return self

    def wait_web(self, timeout: float = 30.0) -> None:
        """Block until gunicorn answers /healthz (its first boot may be slow)."""
        assert self.web is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.web.wait_http(f"{self.url}/healthz", timeout=timeout)
                if requests.get(f"{self.url}/healthz", timeout=5).ok:
                    return
            except requests.Timeout:
                time.sleep(0.1)
        raise TimeoutError(f"gunicorn did not answer:\n{self.web.log()}")

    def add_worker(self, name: str | None = None, **extra_env: str) -> Process:
        proc = self.worker_process(name or f"worker-{len(self.workers)}", **extra_env).start()
        self.workers.append(proc)
        return proc

    def hook(self, panel: str, body: dict[str, Any], *, webhook_id: str | None = None) -> Any:
        """A signed POST /v1/hooks/<panel> (Standard Webhooks v1); the requests response."""
        from bridge import signing

        raw = json.dumps(body).encode()
        msg_id = webhook_id or "msg_" + uuid.uuid4().hex[:16]
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": ts,
            "webhook-signature": signing.sign(HOOK_SECRET, msg_id, int(ts), raw),
        }
        return requests.post(f"{self.url}/v1/hooks/{panel}", data=raw, headers=headers, timeout=15)

    def logs(self) -> str:
        parts = [p.log() for p in self.workers]
        if self.web is not None:
            parts.append(self.web.log())
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self.workers:
            proc.stop()
        if self.web is not None:
            self.web.stop()
