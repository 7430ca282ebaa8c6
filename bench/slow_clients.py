"""The slow-client attack of issue 10, item 1, as a tool and as a measurement.

``n`` connections each announce a 60 000-byte hook body and send it one byte every
``interval`` seconds (or send their headers that way), while a probe asks ``GET /healthz``
every ``probe_every`` seconds and times each answer. Against gunicorn alone the slow
clients hold its threads and the probes wait; behind nginx (config/nginx/otwa-bridge.conf)
nginx holds them and the probes answer at once.

``run()`` measures both for the record: a real gunicorn (``otwa-bridge serve``, 1 worker,
4 threads, so 9 slow clients are more than its threads) alone and behind a real nginx,
with the issue's exact shape (one byte every 2 s) for ``duration`` seconds each. The
tests (tests/edge/) use :func:`attack` with the timings compressed.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

BODY_BYTES = 60_000


class SlowClient(threading.Thread):
    """One connection trickling a request one byte every ``interval`` s until ``stop`` is
    set, the server closes it, or all of it is sent. ``mode``: "body" (headers at once,
    then the 60 000-byte body byte by byte) or "headers" (the header block byte by byte)."""

    def __init__(self, port: int, mode: str, interval: float, stop: threading.Event) -> None:
        super().__init__(daemon=True, name=f"slow-{mode}")
        self.port, self.mode, self.interval, self.stop = port, mode, interval, stop
        self.sent = 0
        self.closed_after: float | None = None  # seconds from start until the server cut it
        self.reply = b""

    def run(self) -> None:
        started = time.monotonic()
        head = (
            f"POST /v1/hooks/whmcs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {BODY_BYTES}\r\n\r\n"
        ).encode()
        if self.mode == "body":
            upfront, trickle = head, b"{" + b" " * (BODY_BYTES - 1)
        else:
            upfront, trickle = b"", head[:-2] + b"X-Slow: " + b"a" * 10_000 + b"\r\n\r\n"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(upfront)
                for byte in trickle:
                    if self.stop.wait(self.interval):
                        return
                    if _closed(sock):
                        break
                    sock.sendall(bytes([byte]))
                    self.sent += 1
                self.reply = _read_rest(sock)
        except OSError:
            pass
        self.closed_after = time.monotonic() - started


def _closed(sock: socket.socket) -> bool:
    """Whether the server ended the connection (EOF or reset waiting to be read)."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def _read_rest(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except OSError:
        pass
    return out


@dataclass
class Attack:
    """What happened during one attack: each probe's (seconds, status or error name), and
    the slow clients (still running at the end, or cut by the server)."""

    probes: list[tuple[float, str]] = field(default_factory=list)
    clients: list[SlowClient] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max((t for t, _ in self.probes), default=0.0)

    @property
    def all_ok(self) -> bool:
        return bool(self.probes) and all(status == "200" for _, status in self.probes)

    def still_connected(self, mode: str) -> int:
        return sum(1 for c in self.clients if c.mode == mode and c.closed_after is None)

    def summary(self) -> dict[str, Any]:
        return {
            "probes": len(self.probes),
            "probe_statuses": sorted({s for _, s in self.probes}),
            "probe_worst_s": round(self.worst, 3),
            "probe_p50_s": round(sorted(t for t, _ in self.probes)[len(self.probes) // 2], 4)
            if self.probes
            else None,
            "slow_clients": len(self.clients),
            "still_connected_at_end": sum(1 for c in self.clients if c.closed_after is None),
        }


def attack(
    port: int,
    *,
    bodies: int = 9,
    headers: int = 0,
    interval: float = 2.0,
    duration: float = 10.0,
    probe_every: float = 0.25,
    probe_timeout: float = 30.0,
    warm_up: float = 0.5,
) -> Attack:
    """Run ``bodies`` slow-body and ``headers`` slow-header clients against 127.0.0.1:``port``
    for ``duration`` s, probing ``/healthz`` meanwhile (after ``warm_up`` s, when every slow
    client has its connection); stop them all and say what happened."""
    stop = threading.Event()
    result = Attack()
    result.clients = [SlowClient(port, "body", interval, stop) for _ in range(bodies)]
    result.clients += [SlowClient(port, "headers", interval, stop) for _ in range(headers)]
    for client in result.clients:
        client.start()
    session = requests.Session()
    try:
        time.sleep(warm_up)  # let every slow client connect and start trickling
        end = time.monotonic() + duration
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                status = str(session.get(url, timeout=probe_timeout).status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            result.probes.append((time.monotonic() - started, status))
            time.sleep(max(0.0, probe_every - (time.monotonic() - started)))
    finally:
        stop.set()
        for client in result.clients:
            client.join(timeout=10)
        session.close()
    return result


def run(
    *,
    duration: float = 30.0,
    interval: float = 2.0,
    workdir: Path = Path("var/bench/slow-clients"),
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The issue's attack (9 slow bodies and 9 slow header blocks, one byte every 2 s)
    against gunicorn alone and behind nginx, ``duration`` s each; the numbers."""
    from bridge.processes import Child, NginxProcess, bridge_command, free_port

    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        "BRIDGE_DATABASE": str(workdir / "bridge.sqlite"),
        "BRIDGE_OTWA_BUDGET_PATH": str(workdir / "otwa-budget.sqlite"),
        "BRIDGE_LOG_LEVEL": "WARNING",
    }
    web = Child(
        bridge_command("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        workdir / "gunicorn.log",
        env=env,
    ).start()
    nginx = NginxProcess(workdir / "nginx", f"127.0.0.1:{port}")
    out: dict[str, Any] = {"duration_s": duration, "interval_s": interval, "threads": 4}
    try:
        web.wait_http(f"http://127.0.0.1:{port}/healthz", ok_only=True)
        nginx.start()
        for name, target in (("gunicorn_alone", port), ("behind_nginx", nginx.port)):
            progress(f"[slow-clients] {name}: 9 slow bodies + 9 slow headers for {duration:g} s")
            got = attack(target, bodies=9, headers=9, interval=interval, duration=duration)
            out[name] = got.summary()
            progress(f"[slow-clients] {name}: {out[name]}")
    finally:
        nginx.stop()
        web.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_clients", description=__doc__)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench/slow-clients"))
    args = parser.parse_args(argv)
    numbers = run(duration=args.duration, interval=args.interval, workdir=args.workdir)
    (args.workdir / "results.json").write_text(json.dumps(numbers, indent=2))
    print(json.dumps(numbers, indent=2))
    return 0 if numbers["behind_nginx"]["probe_statuses"] == ["200"] else 1


if __name__ == "__main__":
    sys.exit(main())
