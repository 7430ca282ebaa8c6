"""A load process for the shared-budget tests: call Otwa as fast as the budget allows.

    python -m tests.support.otwa_hammer <api base> <key> <budget path> <limit> <window>
        <priority> <seconds> <out.json>

Calls ``GET /account`` through a real :class:`bridge.otwa.OtwaClient` (no retries, so a
429 surfaces) until ``seconds`` have passed, then writes one JSON object to ``out.json``:
``{"sent": [wall time each request left], "waits": [seconds per call, budget wait included],
"rate_limited": n, "errors": [...]}``. Send times come from the client's own per-request log
lines (answer time minus ``elapsed_ms``). A budget path of ``-`` means no budget.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from bridge.otwa import Budget, OtwaClient, errors


class SendTimes(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.sent.append(record.created - record.__dict__["elapsed_ms"] / 1000)


def main(argv: list[str]) -> int:
    base, key, path, limit, window, priority, seconds, out = argv
    sent = SendTimes()
    otwa_log = logging.getLogger("bridge.otwa")
    otwa_log.addHandler(sent)
    otwa_log.setLevel(logging.DEBUG)
    budget = None if path == "-" else Budget(path, limit=int(limit), window=float(window))
    client = OtwaClient(
        key, base_url=base, budget=budget, priority=priority, max_retries=0, timeout=10
    )  # type: ignore[arg-type]
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
