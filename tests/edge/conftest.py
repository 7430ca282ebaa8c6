"""Fixtures of the edge tests: a real gunicorn bridge (``otwa-bridge serve``, one worker of
4 threads: fewer than the 9 slow clients of the attack) and a real nginx running the
shipped config/nginx/otwa-bridge.conf in front of it, both on loopback."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bridge.processes import NginxProcess, nginx_binary
from tests.support.processes import Process, bridge_cmd, free_port
from tests.support.stack import HOOK_SECRET

BODY_TIMEOUT = 1.5  # BRIDGE_BODY_TIMEOUT of the test bridge, s
NGINX_MISSING = (
    "nginx is not installed: `make system-deps` installs it (as root), or "
    "apt-get install --no-install-recommends nginx"
)


@dataclass
class Web:
    """A running ``otwa-bridge serve`` and its database."""

    port: int
    db_path: Path
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hooks_recorded(self) -> int:
        """Rows of webhook_events: a refused request must leave it unchanged."""
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            return int(conn.execute("SELECT count(*) FROM webhook_events").fetchone()[0])
        finally:
            conn.close()

    def wait_responsive(self, base: str | None = None, timeout: float = 30.0) -> None:
        """Block until ``/healthz`` answers within 0.5 s again (threads freed)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{base or self.url}/healthz", timeout=0.5).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"/healthz never answered fast again:\n{self.process.log()}")
            time.sleep(0.05)


def start_web(tmp: Path, **env: str) -> Web:
    port = free_port()
    db_path = tmp / "bridge.sqlite"
    process = Process(
        bridge_cmd("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        tmp / "gunicorn.log",
        env={
            "BRIDGE_DATABASE": str(db_path),
            "BRIDGE_OTWA_BUDGET_PATH": str(tmp / "otwa-budget.sqlite"),
            "BRIDGE_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "BRIDGE_WHMCS_HOOK_SECRETS": HOOK_SECRET,
            **env,
        },
    ).start()
    process.wait_http(f"http://127.0.0.1:{port}/healthz", ok_only=True)
    return Web(port, db_path, process)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    started = start_web(tmp_path_factory.mktemp("web"))
    yield started
    started.process.stop()


def require_nginx() -> None:
    if nginx_binary() is None:
        pytest.skip(NGINX_MISSING)


@pytest.fixture(scope="module")
def nginx(web: Web, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NginxProcess]:
    """nginx in front of ``web``; its timeouts compressed for the test (2 s for the header
    block, 2 s between two reads of a body) so cut-offs are seen in seconds."""
    require_nginx()
    edge = NginxProcess(
        tmp_path_factory.mktemp("nginx"),
        f"127.0.0.1:{web.port}",
        timeouts={"client_header_timeout": "2s", "client_body_timeout": "2s"},
    )
    edge.check()
    edge.start()
    yield edge
    edge.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 made with openssl (skips when it is missing)."""
    cert, key = folder / "edge.crt", folder / "edge.key"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except FileNotFoundError:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    return cert, key


def raw_exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` as is on a new connection; everything the server answers until it
    closes (or ``timeout``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        return out


def parse_reply(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) of one HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body
