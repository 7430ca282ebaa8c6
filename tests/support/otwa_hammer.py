"""Load processes for the shared-budget tests.

    python -m tests.support.otwa_hammer <api base> <key> <budget path> <limit> <window>
        <priority> <seconds> <out.json>
    python -m tests.support.otwa_hammer plain <api base> <key> <per second> <seconds> <out.json>
    python -m tests.support.otwa_hammer open <dir> <files> <go file> <out.json>

The first form calls Otwa as fast as the budget allows: it calls ``GET /account`` through a
real :class:`bridge.otwa.OtwaClient` (no retries, so a 429 surfaces) until ``seconds`` have
passed, then writes one JSON object to ``out.json``: ``{"sent": [wall time each request
left], "waits": [seconds per call, budget wait included], "rate_limited": n, "errors":
[...]}``. Send times come from the client's own per-request log lines (answer time minus
``elapsed_ms``). A budget path of ``-`` means no budget.

The ``plain`` form is another user of the same key, outside the budget: a plain ``requests``
loop sending ``GET /account`` at a steady ``per second`` pace (skipping, not bursting, when
it falls behind) for ``seconds``; it writes ``{"sent": [...], "status": [...]}``, one entry per
request (wall time it left, HTTP status).

The ``open`` form races other processes to open fresh budget files: it writes
``<out.json>.ready``, waits for ``<go file>`` to exist, then opens ``<dir>/fresh-<i>.sqlite``
for i in 0..files-1 in turn and takes one slot in each, and writes
``{"opened": n, "errors": [...]}`` (errors as ``repr``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import requests

from bridge.otwa import Budget, OtwaClient, errors


class SendTimes(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.sent.append(record.created - record.__dict__["elapsed_ms"] / 1000)


def open_fresh(argv: list[str]) -> int:
    directory, files, go, out = argv
    Path(out + ".ready").touch()
    deadline = time.monotonic() + 120
    while not Path(go).exists():  # the parent creates it once every process is ready
        if time.monotonic() > deadline:
            raise SystemExit("no go signal within 120 s")
        time.sleep(0.001)
    opened, failures = 0, []
    for i in range(int(files)):
        budget = Budget(Path(directory) / f"fresh-{i}.sqlite", limit=10_000, window=60.0)
        try:
            budget.acquire("otwa_open_race_key", wait=0)
            opened += 1
        except Exception as exc:  # noqa: BLE001 - every failure is the result we report
            failures.append(repr(exc))
        finally:
            budget.close()
    Path(out).write_text(json.dumps({"opened": opened, "errors": failures}))
    return 0


def plain(argv: list[str]) -> int:
    base, key, per_second, seconds, out = argv
    session = requests.Session()
    gap = 1.0 / float(per_second)
    sent: list[float] = []
    status: list[int] = []
    start = time.time()
    due = start
    while due < start + float(seconds):
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)  # pacing to a schedule, not waiting for a condition
        sent.append(time.time())
        answer = session.get(
            base + "/account", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        status.append(answer.status_code)
        # Behind schedule (a loaded machine)? Skip the missed slots rather than burst to
        # catch up: the pace stays at most `per second` in any stretch of time.
        due = max(due + gap, time.time())
    Path(out).write_text(json.dumps({"sent": sent, "status": status}))
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "open":
        return open_fresh(argv[1:])
    if argv and argv[0] == "plain":
        return plain(argv[1:])
    base, key, path, limit, window, priority, seconds, out = argv
    sent = SendTimes()
    otwa_log = logging.getLogger("bridge.otwa")
    otwa_log.addHandler(sent)
    otwa_log.setLevel(logging.DEBUG)
    budget = None if path == "-" else Budget(path, limit=int(limit), window=float(window))
    client = OtwaClient(
        key,
        base_url=base,
        budget=budget,
        priority="interactive" if priority == "interactive" else "background",
        max_retries=0,
        timeout=10,
    )
    result: dict[str, object] = {"waits": [], "rate_limited": 0, "errors": []}
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        started = time.time()
        try:
            client.account()
        except errors.RateLimitedError:
            result["rate_limited"] = int(result["rate_limited"]) + 1  # type: ignore[call-overload]
        except errors.OtwaError as exc:
            result["errors"].append(type(exc).__name__)  # type: ignore[attr-defined]
            continue
        result["waits"].append(time.time() - started)  # type: ignore[attr-defined]
    result["sent"] = sent.sent
    with open(out, "w") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
