"""A deadline on request bodies, for when gunicorn faces clients itself.

gunicorn's threads read a body with a blocking socket: a client sending one byte every
two seconds holds a thread for as long as it likes, and a handful of them take every
thread of the bridge (docs/operations.md, "The edge"). In every documented deployment
nginx buffers whole bodies first and gunicorn never sees a slow one; this middleware is
the guard for the dev-only case of gunicorn alone.

Contract of :class:`BodyDeadline`: before the app runs, a request's body (declared by
``Content-Length`` or sent chunked) is read in full within ``timeout`` seconds of the
first read; the app then reads it from memory. The deadline holds however the bytes
trickle in: gunicorn's reader loops over ``recv`` until it has what was asked for, so a
per-``recv`` timeout alone would not bound it; instead one watchdog thread per process
shuts the reading side of gunicorn's socket (``gunicorn.socket``) when the deadline
passes, and the blocked read returns at once. A body
that misses the deadline is answered ``408 request_timeout`` in the one JSON shape and the
connection is closed; one that cannot be read (broken chunked framing) ``400
bad_request_body``. A body announced over ``max_bytes`` is not read: the app refuses it
(413) unread, and Flask's ``MAX_CONTENT_LENGTH`` is set to the same limit so no view reads
one; of a chunked body at most ``max_bytes + 1`` bytes are read, enough for the app to
refuse it. Requests without a body pass straight through.
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bridge.errors import error_body

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
READ_SIZE = 64 * 1024


class BodyTimeout(Exception):
    """The body did not arrive in time."""


class BodyDeadline:
    """WSGI middleware: read each request body within ``timeout`` s (module docstring)."""

    def __init__(self, app: WSGIApp, *, timeout: float, max_bytes: int) -> None:
        self.app = app
        self.timeout = timeout
        self.max_bytes = max_bytes

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = _declared_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not length and not chunked:
            return self.app(environ, start_response)
        if length > self.max_bytes:
            return self.app(environ, start_response)  # refused unread (413) by the app
        sock = environ.get("gunicorn.socket")
        limit = length if length else self.max_bytes + 1
        try:
            body = self._read(environ["wsgi.input"], limit, sock)
        except BodyTimeout:
            _stop_reading(sock)  # gunicorn would otherwise drain the rest for keep-alive
            return _refuse(
                start_response,
                "408 Request Timeout",
                "request_timeout",
                f"The request body did not arrive within {self.timeout:g} s. Send the whole "
                "body at once (in production, nginx in front buffers it: docs/operations.md).",
            )
        except Exception:  # noqa: BLE001 - any failure to read the body is the client's
            _stop_reading(sock)
            return _refuse(
                start_response,
                "400 Bad Request",
                "bad_request_body",
                "The request body could not be read: send Content-Length with exactly that "
                "many bytes, or a well-formed chunked body.",
            )
        environ["wsgi.input"] = io.BytesIO(body)
        if chunked:
            # At most max_bytes + 1 were read: the app sees the body end there and refuses
            # an oversized one (413) with its own reply.
            environ["wsgi.input_terminated"] = True
        else:
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _read(self, stream: Any, limit: int, sock: socket.socket | None) -> bytes:
        """Up to ``limit`` bytes of ``stream`` (less at its end) before the deadline."""
        deadline = time.monotonic() + self.timeout
        alarm = WATCHDOG.arm(sock, deadline) if sock is not None else None
        parts: list[bytes] = []
        got = 0
        try:
            while got < limit:
                if time.monotonic() >= deadline:
                    raise BodyTimeout
                try:
                    chunk = stream.read(min(READ_SIZE, limit - got))
                except Exception:
                    if alarm is not None and alarm.fired:
                        raise BodyTimeout from None
                    raise
                if not chunk:
                    break
                parts.append(chunk)
                got += len(chunk)
        finally:
            if alarm is not None:
                WATCHDOG.disarm(alarm)
        if alarm is not None and alarm.fired:
            raise BodyTimeout
        return b"".join(parts)


class Alarm:
    """One armed deadline: the socket to cut and whether it was cut."""

    __slots__ = ("deadline", "fired", "sock")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock: socket.socket | None = sock
        self.deadline = deadline
        self.fired = False


class Watchdog:
    """One daemon thread per process that cuts the reading side of sockets whose deadline
    passed. ``arm`` and ``disarm`` are O(log n); a disarmed alarm is skipped, never cut."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Alarm]] = []
        self._ids = itertools.count()
        self._pid = 0

    def arm(self, sock: socket.socket, deadline: float) -> Alarm:
        alarm = Alarm(sock, deadline)
        with self._cond:
            if self._pid != os.getpid():  # threads do not survive fork: start ours here
                self._heap.clear()
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="body-deadline", daemon=True).start()
            heapq.heappush(self._heap, (deadline, next(self._ids), alarm))
            self._cond.notify()
        return alarm

    def disarm(self, alarm: Alarm) -> None:
        with self._cond:
            alarm.sock = None  # its heap entry is dropped when it comes up

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, alarm = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0 and alarm.sock is not None:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                sock, alarm.sock = alarm.sock, None
                if sock is not None:
                    alarm.fired = True
                    _stop_reading(sock)


WATCHDOG = Watchdog()


def _declared_length(environ: dict[str, Any]) -> int:
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _refuse(
    start_response: Callable[..., Any], status: str, code: str, message: str
) -> list[bytes]:
    body = json.dumps(error_body(code, message)).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def _stop_reading(sock: socket.socket | None) -> None:
    """No more bytes from this client: the reply still goes out, then the connection ends
    (gunicorn's keep-alive drain sees the end of input at once instead of waiting)."""
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:  # already gone
        pass
