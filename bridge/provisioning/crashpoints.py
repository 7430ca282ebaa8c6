"""Named crash points for crash-safety tests (off unless ``BRIDGE_CRASH_AT`` is set).

``BRIDGE_CRASH_AT=create.after_response`` (comma-separated names allowed) makes the process
SIGKILL itself when it reaches that point: no ``finally``, no commit, no clean-up, like a
power cut. Names (docs/provisioning.md):

* ``create.before_call``      key stored, POST /servers not yet sent
* ``create.after_response``   Otwa committed the server, nothing recorded locally
* ``create.before_local_commit``  inside the transaction recording the server id
* ``poll.before_commit``      a build seen running, write-back job not yet committed
* ``writeback.before_call``   credentials fetched, panel not yet called
* ``writeback.after_call``    panel updated, job not yet marked done
* ``destroy.after_call``      server deleted at Otwa, not yet recorded
"""

from __future__ import annotations

import logging
import os
import signal

ENV = "BRIDGE_CRASH_AT"
NAMES = (
    "create.before_call",
    "create.after_response",
    "create.before_local_commit",
    "poll.before_commit",
    "writeback.before_call",
    "writeback.after_call",
    "destroy.after_call",
)
log = logging.getLogger(__name__)


def hit(name: str) -> None:
    """SIGKILL this process if ``name`` is armed in the environment; otherwise do nothing."""
    armed = os.environ.get(ENV)
    if not armed:
        return
    if name in {part.strip() for part in armed.split(",")}:
        log.warning("crash point reached; killing this process", extra={"crash_point": name})
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
