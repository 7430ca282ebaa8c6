"""Fault injection on /api/v1 (never on the control API or the dashboard).

Configured by POST /_sandbox/faults ``{"rate", "kinds", "seed", "methods"?, "paths"?,
"delay"?, "limit"?}``; each matching request draws from a seeded RNG, so a given sequence of
requests meets the same faults for the same seed. Kinds:

- ``500``, ``502``: an error answer; nothing executed.
- ``429``: a rate-limit answer with X-RateLimit-* and Retry-After; nothing executed.
- ``timeout``: the request is held ``delay`` real seconds (default 30), then answered 504;
  nothing executed. DELETE /_sandbox/faults and reset release held requests at once.
- ``reset``: the connection is closed before any response; nothing executed.
- ``lost-response``: the request IS executed and committed, then the connection is closed
  so the client never hears back.
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from bridge.sandbox.errors import error_body

KINDS = ("500", "502", "429", "timeout", "reset", "lost-response")


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.config: dict[str, Any] | None = None
            self.injected = 0
            self._release.set()  # wake requests held by a timeout fault
            self._release = threading.Event()

    def configure(self, config: dict[str, Any]) -> None:
        with self._lock:
            self._release.set()
            self._release = threading.Event()
            self.config = config
            self.injected = 0
            self._rng = random.Random(config["seed"])

    def draw(self, method: str, path: str) -> tuple[str | None, threading.Event, float]:
        """The fault for this request (or None), the release event and the timeout delay."""
        with self._lock:
            cfg = self.config
            if cfg is None:
                return None, self._release, 0.0
            if cfg["methods"] and method not in cfg["methods"]:
                return None, self._release, 0.0
            rel = path[len("/api/v1") :]
            if cfg["paths"] and not any(fnmatch.fnmatchcase(rel, p) for p in cfg["paths"]):
                return None, self._release, 0.0
            if cfg["limit"] is not None and self.injected >= cfg["limit"]:
                return None, self._release, 0.0
            if self._rng.random() >= cfg["rate"]:
                return None, self._release, 0.0
            self.injected += 1
            return self._rng.choice(cfg["kinds"]), self._release, cfg["delay"]

    def describe(self) -> dict[str, Any] | None:
        with self._lock:
            return None if self.config is None else {**self.config, "injected": self.injected}


def parse_config(body: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """Validate a POST /_sandbox/faults body; returns (config, errors)."""
    errors: list[str] = []
    if not isinstance(body, dict):
        return None, ["body must be a JSON object"]
    rate = body.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        errors.append("rate must be a number between 0 and 1")
    kinds = body.get("kinds")
    kinds = [str(k) for k in kinds] if isinstance(kinds, list) else kinds
    if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
        errors.append(f"kinds must be a non-empty list of {', '.join(KINDS)}")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        errors.append("seed must be an integer")
    methods = body.get("methods", [])
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        errors.append("methods must be a list of HTTP methods")
    paths = body.get("paths", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        errors.append("paths must be a list of glob patterns relative to /api/v1")
    delay = body.get("delay", 30)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600:
        errors.append("delay must be a number of seconds between 0 and 3600")
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        errors.append("limit must be a non-negative integer")
    if errors:
        return None, errors
    return {
        "rate": float(rate),  # type: ignore[arg-type]
        "kinds": kinds,
        "seed": seed,
        "methods": [m.upper() for m in methods],
        "paths": paths,
        "delay": float(delay),
        "limit": limit,
    }, []


_SERVER_PATH = re.compile(r"^/api/v1/servers/[^/]+")


def route_of(method: str, path: str) -> str:
    """``POST /api/v1/servers/:id/power/start``-style name for the request counters."""
    return f"{method} {_SERVER_PATH.sub('/api/v1/servers/:id', path)}"


def _drop(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FaultMiddleware:
    """WSGI wrapper: counts every /api/v1 request and injects the configured faults."""

    def __init__(self, app: Callable[..., Iterable[bytes]], state: Any) -> None:
        self.app = app
        self.state = state

    def _key(self, environ: dict[str, Any], path: str) -> str:
        if path.startswith("/api/v1/public/"):
            return "(public)"
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth:
            return "(none)"
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        return token if token in self.state.keys else "(invalid)"

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/api/v1/") and path != "/api/v1":
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        key, route = self._key(environ, path), route_of(method, path)
        kind, release, delay = self.state.faults.draw(method, path)
        seen: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        if kind is None:
            result = self.app(environ, recording)
            self.state.count(key, route, seen[0] if seen else "?", None)
            return result
        request_id = environ.get("HTTP_X_REQUEST_ID") or str(uuid.uuid4())
        if kind == "lost-response":
            result = self.app(environ, recording)
            try:
                b"".join(result)  # run the request to completion: the change is committed
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
            self.state.count(key, route, seen[0] if seen else "?", kind)
            _drop(environ)
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return []
        self.state.count(key, route, {"reset": "reset", "timeout": "504"}.get(kind, kind), kind)
        if kind == "reset":
            _drop(environ)
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return []
        headers = [("Content-Type", "application/json"), ("X-Request-Id", request_id)]
        if kind == "timeout":
            release.wait(delay)
            status = 504
        elif kind == "429":
            status = 429
            with self.state.lock:
                verdict = self.state.limiter.peek(key, self.state.now())
            headers += list(verdict.headers(self.state.clock).items())
            headers.append(("Retry-After", verdict.retry_after(self.state.clock)))
        else:
            status = int(kind)
        messages = {500: "Internal server error", 502: "Bad Gateway", 504: "Gateway Timeout",
                    429: "ThrottlerException: Too Many Requests"}  # fmt: skip
        payload = json.dumps(error_body(status, messages[status])).encode()
        headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]
