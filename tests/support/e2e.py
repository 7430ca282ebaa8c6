"""Whole-stack helpers for tests/e2e: WHMCS hook bodies, raw signed posts, a gunicorn bridge
that can be SIGKILLed together with its workers and restarted on the same port, and the
convergence checks every proof shares (one server per label, running, written back).

Built on :class:`tests.support.stack.Stack` (config, settings, env, worker processes); the
only difference is how the web process is started and stopped, so a crash test can kill
the whole bridge (arbiter and gunicorn workers) like a power cut and bring it back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bridge import signing
from tests.support.fake_whmcs import FakeWhmcs
from tests.support.processes import ROOT, Process, bridge_cmd
from tests.support.stack import HOOK_SECRET, Stack

OS_OPTION = {"Operating System": "3|Ubuntu 24.04"}


def whmcs_body(action: str, service_id: int | str, /, *, pid: int = 1, **params: Any) -> dict:
    """A WHMCS-vocabulary hook body (what the PHP module forwards) for ``action``."""
    return {
        "action": action,
        "serviceid": service_id,
        "pid": pid,
        "userid": 77,
        "domain": f"srv{service_id}.example.com",
        "clientsdetails": {"firstname": "Ada", "email": "ada@example.com"},
        "configoptions": dict(OS_OPTION),
        "params": params,
    }


def label(service_id: int | str, generation: int = 1) -> str:
    """The Otwa label the test config's template gives a WHMCS service."""
    return f"whmcs-{service_id}-g{generation}"


@dataclass
class Sent:
    """One hook delivery: what was sent and what came back (``response`` None: no reply)."""

    webhook_id: str
    raw: bytes
    response: requests.Response | None

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def json(self) -> Any:
        assert self.response is not None, "no reply"
        return self.response.json()


class GroupProcess(Process):
    """A process started in its own session so the whole tree (gunicorn's arbiter and its
    workers) can be SIGKILLed at once."""

    def start(self) -> GroupProcess:
        env = {**os.environ, **self.env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.args),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal every process of the group (ours: started by this test) and reap the leader."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        # Orphaned gunicorn workers must be gone before the port is bound again.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        self.kill_group(self.stop_signal)


class E2EStack(Stack):
    """Sandbox + fake WHMCS + gunicorn bridge + workers, driven through the signed hook."""

    def __init__(self, *args: Any, gunicorn_workers: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gunicorn_workers = gunicorn_workers
        self.web_starts = 0
        self.hook_secret = HOOK_SECRET

    def use_hook_secret(self, secret: str) -> None:
        """Sign with ``secret`` and give it to processes started from now on."""
        self.hook_secret = secret
        self.extra_env["BRIDGE_WHMCS_HOOK_SECRETS"] = secret

    # -- processes ---------------------------------------------------------------------------

    def start_web(self, **extra_env: str) -> GroupProcess:
        """Start gunicorn (``python -m bridge serve``) on this stack's port; wait for it."""
        self.web_starts += 1
        web = GroupProcess(
            bridge_cmd(
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.gunicorn_workers),
            ),
            self.tmp / "gunicorn.log",
            env=self.env(**extra_env),
        ).start()
        self.web = web
        deadline = time.monotonic() + 30
        while True:
            try:
                web.wait_http(f"{self.url}/healthz", timeout=30)
                return web
            except requests.Timeout:  # accepted, but the first worker is still importing
                if time.monotonic() > deadline:
                    raise

    def kill_web(self) -> None:
        """SIGKILL the whole bridge web tier: arbiter and every gunicorn worker."""
        assert isinstance(self.web, GroupProcess)
        self.web.kill_group()

    def restart_web(self, **extra_env: str) -> GroupProcess:
        self.kill_web()
        return self.start_web(**extra_env)

    def start(self, *, workers: int = 1, serve: bool = True, **web_env: str) -> E2EStack:
        if serve:
            self.start_web(**web_env)
        for n in range(workers):
            self.add_worker(f"worker-{n}")
        return self

    def stop(self) -> None:
        for proc in self.workers:
            proc.stop()
        if isinstance(self.web, GroupProcess):
            self.web.stop()

    def log_texts(self) -> dict[str, str]:
        """Every log file the bridge's processes wrote in this test (gunicorn, workers)."""
        return {
            p.name: p.read_text(errors="replace")
            for p in sorted(self.tmp.glob("*.log"))
            if not p.name.startswith(("sandbox", "fake-whmcs"))
        }

    # -- hooks -------------------------------------------------------------------------------

    def post(
        self,
        raw: bytes,
        headers: Mapping[str, str],
        panel: str = "whmcs",
        *,
        timeout: float = 20.0,
    ) -> requests.Response:
        return requests.post(
            f"{self.url}/v1/hooks/{panel}", data=raw, headers=dict(headers), timeout=timeout
        )

    def signed_headers(
        self,
        raw: bytes,
        webhook_id: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": signing.sign(secret or self.hook_secret, webhook_id, ts, raw),
        }

    def send(
        self,
        body: Any,
        *,
        webhook_id: str | None = None,
        raw: bytes | None = None,
        expect_reply: bool = True,
        timeout: float = 20.0,
    ) -> Sent:
        """Sign and POST ``body`` (or exactly ``raw``) to /v1/hooks/whmcs with a fresh
        timestamp. ``expect_reply=False``: a dropped connection (the bridge was killed
        mid-request) is returned as ``response=None`` instead of raised."""
        msg_id = webhook_id or "msg_" + uuid.uuid4().hex[:20]
        data = raw if raw is not None else json.dumps(body).encode()
        try:
            response = self.post(data, self.signed_headers(data, msg_id), timeout=timeout)
        except requests.ConnectionError:
            if expect_reply:
                raise
            response = None
        return Sent(msg_id, data, response)

    def resend(self, sent: Sent, **kw: Any) -> Sent:
        """The panel's retry of the same event: same webhook-id, same bytes, new timestamp."""
        return self.send(None, webhook_id=sent.webhook_id, raw=sent.raw, **kw)

    # -- looking -----------------------------------------------------------------------------

    def all_servers(self) -> list[dict[str, Any]]:
        return list(self.sandbox.state()["servers"])

    def open_work(self) -> list[dict[str, Any]]:
        """Jobs due or leased now, and builds in progress: what the worker still has to do."""
        return self.rows(
            "SELECT 'job' AS what, id, kind AS detail, state FROM jobs"
            " WHERE state = 'leased' OR (state = 'ready' AND run_after <= ?)"
            " UNION ALL SELECT 'op', id, action, state FROM operations WHERE state = 'building'",
            [time.time()],
        )

    def quiesce(self, timeout: float = 30.0) -> None:
        """Wait until the workers have nothing due (backoffs and grace periods may remain)."""
        self.wait_for(lambda: not self.open_work(), timeout, "the workers to drain")

    def table_counts(self) -> dict[str, int]:
        names = [r["name"] for r in self.rows("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: self.rows(f'SELECT count(*) AS n FROM "{n}"')[0]["n"] for n in names}  # noqa: S608

    def dump(self) -> str:
        """Every row of every table as text (WAL included: read through SQLite)."""
        return "\n".join(
            str(row)
            for table in self.table_counts()
            for row in self.rows(f'SELECT * FROM "{table}"')  # noqa: S608 - from sqlite_master
        )


def duplicates(servers: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Labels carried by more than one server (terminated ones included)."""
    counts = Counter(str(s.get("label")) for s in servers)
    return {k: n for k, n in counts.items() if n > 1}


def converged(
    stack: E2EStack, whmcs: FakeWhmcs, service_ids: Iterable[int | str], generation: int = 1
) -> dict[str, dict[str, Any]] | None:
    """The servers by service id when every service has exactly one server, running, its
    create done, and the panel holds its IP, username and password; otherwise None."""
    servers = stack.all_servers()
    by_label: dict[str, list[dict[str, Any]]] = {}
    for s in servers:
        by_label.setdefault(str(s.get("label")), []).append(s)
    writes: dict[str, dict[str, Any]] = {}
    for call in whmcs.calls("UpdateClientProduct"):
        if "_failed" not in call:
            writes[str(call["serviceid"])] = call  # the last successful write wins
    ops = {
        r["service_id"]: r["state"]
        for r in stack.rows(
            "SELECT service_id, state FROM operations WHERE action = 'create' AND generation = ?",
            [generation],
        )
    }
    out: dict[str, dict[str, Any]] = {}
    for sid in map(str, service_ids):
        found = by_label.get(label(sid, generation), [])
        if len(found) != 1 or found[0]["status"] != "running" or ops.get(sid) != "done":
            return None
        server, call = found[0], writes.get(sid)
        if call is None or call.get("servicepassword") != server["password"]:
            return None
        out[sid] = server
    return out


def assert_converged(
    stack: E2EStack,
    whmcs: FakeWhmcs,
    service_ids: Iterable[int | str],
    *,
    timeout: float = 60.0,
    generation: int = 1,
) -> dict[str, dict[str, Any]]:
    """Wait for :func:`converged`, then check every written-back field against the sandbox."""
    ids = [str(s) for s in service_ids]
    try:
        servers = stack.wait_for(
            lambda: converged(stack, whmcs, ids, generation), timeout, "convergence"
        )
    except AssertionError:
        summary = {
            sid: [
                (s["id"], s["status"])
                for s in stack.all_servers()
                if s.get("label") == label(sid, generation)
            ]
            for sid in ids
        }
        ops = stack.rows("SELECT id, service_id, action, state, last_error FROM operations")
        jobs = stack.rows("SELECT id, operation_id, kind, state, attempts, last_error FROM jobs")
        raise AssertionError(
            f"not converged: servers {summary}\nops {ops}\njobs {jobs}\n"
            + "\n".join(f"== {k}\n{v[-4000:]}" for k, v in stack.log_texts().items())
        ) from None
    calls = {
        str(c["serviceid"]): c for c in whmcs.calls("UpdateClientProduct") if "_failed" not in c
    }
    for sid, server in servers.items():
        call = calls[sid]
        assert call["dedicatedip"] == server["ipAddress"], (call, server)
        assert call["serviceusername"] == server["username"] == "root"
        assert call["servicepassword"] == server["password"]
        assert stack.service(sid)["state"] == "active"
        assert stack.service(sid)["server_id"] == server["id"]
    return servers
