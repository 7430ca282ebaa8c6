"""The whole suite's secret watch: every log file a bridge process wrote during the run
(gunicorn, workers, CLI runs, nginx in front; under pytest's temporary folders) is searched,
at the end of the session, for secrets: the suite's own fixed secrets (the test hook
secret, the fake WHMCS API pair) by value, and every secret by its shape (an unmasked
``whsec_…`` hook secret, an Otwa key, an SSO link token or ``/sso/<token>`` path, an
admin password hash or session cookie). One leak anywhere fails the session.

Logs that are not the bridge's are exempt: the sandbox's (it is Otwa: it sees the keys it
is sent) and the fake panels' (they are the panel: they receive the credentials). The
exact values a flow produces (server passwords, SSO links) are checked where they are
known: tests/e2e/test_secrets.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tests.support.fake_whmcs import FakeWhmcs
from tests.support.stack import HOOK_SECRET

# Log files of processes that are not the bridge (by name prefix): the sandbox, the fake
# panels and webhook receivers, the benchmarks' naive module and bare Flask app.
EXEMPT = ("sandbox", "fake-whmcs", "fake_whmcs", "receiver", "forging", "baseline", "bare")
KNOWN = {
    "the suite's hook secret": HOOK_SECRET,
    "the suite's hook secret's key": HOOK_SECRET.removeprefix("whsec_"),
    "the fake WHMCS API identifier": FakeWhmcs.IDENTIFIER,
    "the fake WHMCS API secret": FakeWhmcs.SECRET,
}
SHAPES = {
    "a hook secret": re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"),
    "an Otwa key": re.compile(r"otwa_(?:sandbox|live|test)_[A-Za-z0-9_]{3,}"),
    "an SSO link token": re.compile(r"bsso_[A-Za-z0-9_\-.]{8,}"),
    "an SSO link path": re.compile(r"/sso/(?!\*\*\*)[A-Za-z0-9._\-~]{16,}"),
    "an admin password hash": re.compile(r"\$argon2id\$v=\d+\$m=\d+[^\s\"']*\$[A-Za-z0-9+/]{8,}"),
    "an admin session cookie": re.compile(r"otwa_admin=(?!\*\*\*)[^;\s\"']{8,}"),
}


def bridge_logs(roots: Iterable[Path]) -> list[Path]:
    """Every ``*.log`` under ``roots`` written by a bridge process (or nginx in front)."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.log")):
            if not path.is_file() or path.name.startswith(EXEMPT):
                continue
            found.append(path)
    return found


def leaks(paths: Iterable[Path]) -> list[str]:
    """``"<file>:<line>: <what>"`` for every secret found."""
    out = []
    for path in paths:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            for what, value in KNOWN.items():
                if value in line:
                    out.append(f"{path}:{number}: {what}")
            for what, shape in SHAPES.items():
                if shape.search(line):
                    out.append(f"{path}:{number}: {what}")
    return out
