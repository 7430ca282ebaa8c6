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
import re
import shutil
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


# -- nginx in front (config/nginx/otwa-bridge.conf) ------------------------------------------

NGINX_SITE = Path(__file__).resolve().parents[1] / "config" / "nginx" / "otwa-bridge.conf"


def nginx_binary() -> str | None:
    """nginx's path (Debian puts it in /usr/sbin, often not on a user's PATH), or None."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    return found


def render_nginx_site(
    text: str,
    *,
    upstream: str,
    port: int,
    redirect_port: int,
    log_dir: Path,
    tls: tuple[Path, Path] | None = None,
    timeouts: Mapping[str, str] | None = None,
) -> str:
    """The shipped site config, run on loopback: ``upstream`` (host:port of gunicorn), the
    main server on ``port`` (TLS with ``tls`` = (certificate, key), else plain HTTP), the
    redirecting one on ``redirect_port``, logs in ``log_dir``, and ``timeouts`` (e.g.
    ``{"client_body_timeout": "2s"}``) replacing the shipped values. Everything else is the
    file as shipped."""
    out = re.sub(r"server 127\.0\.0\.1:8700;", f"server {upstream};", text)
    out = re.sub(r"(?m)^\s*listen \[::\]:\d+.*\n", "", out)
    out = out.replace("listen 80;", f"listen 127.0.0.1:{redirect_port};")
    if tls is not None:
        out = out.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
        out = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tls[0]};", out)
        out = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tls[1]};", out)
    else:
        out = out.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
        out = re.sub(r"(?m)^\s*(ssl_\w+|add_header Strict-Transport-Security)\s.*\n", "", out)
    out = out.replace("/var/log/nginx/", f"{log_dir}/")
    for name, value in (timeouts or {}).items():
        out, n = re.subn(rf"(?m)^(\s*{name}\s+)\S+;", rf"\g<1>{value};", out)
        if not n:
            raise ValueError(f"{name} is not in the shipped nginx config")
    return out


class NginxProcess:
    """nginx running the shipped site config in front of a bridge on loopback (tests and
    benchmarks; see :func:`render_nginx_site`). Logs land in ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        upstream: str,
        *,
        tls: tuple[Path, Path] | None = None,
        timeouts: Mapping[str, str] | None = None,
        site: Path = NGINX_SITE,
        worker_processes: int = 1,
    ) -> None:
        binary = nginx_binary()
        if binary is None:
            raise FileNotFoundError("nginx is not installed (make system-deps installs it)")
        self.dir = Path(workdir).resolve()  # nginx resolves relative paths against -p
        self.port, self.redirect_port = free_port(), free_port()
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.error_log = self.dir / "nginx.error.log"
        self.access_log = self.dir / "otwa-bridge.access.log"
        site_text = render_nginx_site(
            site.read_text(),
            upstream=upstream,
            port=self.port,
            redirect_port=self.redirect_port,
            log_dir=self.dir,
            tls=tls,
            timeouts=timeouts,
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "otwa-bridge.conf").write_text(site_text)
        temp = self.dir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        temps = "\n".join(
            f"    {kind}_temp_path {temp}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.dir / "nginx.conf").write_text(
            f"worker_processes {worker_processes};\n"
            f"pid {self.dir}/nginx.pid;\n"
            f"error_log {self.error_log} info;\n"
            "daemon off;\n"
            + ("user root;\n" if os.geteuid() == 0 else "")
            + "events { worker_connections 4096; }\n"
            "http {\n"
            "    default_type application/octet-stream;\n"
            f"{temps}\n"
            f"    include {self.dir}/otwa-bridge.conf;\n"
            "}\n"
        )
        self.process = Child(
            [binary, "-e", str(self.error_log), "-p", str(self.dir), "-c", "nginx.conf"],
            self.dir / "nginx.out.log",
        )

    def check(self) -> None:
        """``nginx -t`` on the rendered config; RuntimeError with nginx's words if it fails."""
        done = subprocess.run(
            [*self.process.args, "-t"], capture_output=True, text=True, timeout=30, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{done.stderr}")

    def start(self, timeout: float = 30.0) -> NginxProcess:
        self.process.start()
        deadline = time.monotonic() + timeout
        while True:
            if not self.process.alive:
                raise RuntimeError(f"nginx exited:\n{self.logs()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nginx did not listen within {timeout:g}s") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.stop()

    def logs(self) -> str:
        """nginx's error log, its access log and its own output so far."""
        paths = (self.error_log, self.access_log, self.dir / "nginx.out.log")
        return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())
