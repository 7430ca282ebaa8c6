"""Admin notices the ledger raises, each once: "the wallet runs out on 2026-12-05", "server
X was suspended: its renewal was not paid".

:func:`raise_alert` stores one row per key and panel (``INSERT OR IGNORE``: raising the
same key again does nothing, so the notice goes out once); whoever delivers them (the
worker, through the panel adapters) takes :func:`pending`, and marks each
:func:`delivered` or :func:`failed`. A notice is given up after ``max_attempts``.
Nothing here talks to a panel or reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from bridge import store
from bridge.ledger import fields


@dataclass(frozen=True)
class Alert:
    """One notice for one panel's admins."""

    key: str
    panel: str
    raised_at: float
    subject: str
    message: str
    attempts: int


def raise_alert(
    db: sqlite_utils.Database,
    *,
    key: str,
    panels: Iterable[str],
    subject: str,
    message: str,
    raised_at: float,
) -> bool:
    """Raise notice ``key`` for each panel, once; True when it is new (for any panel)."""
    key = fields.text(key, "key")
    fields.moment(raised_at, "raised_at")
    new = False
    with store.write(db):
        for panel in panels:
            cur = db.execute(
                "INSERT OR IGNORE INTO ledger_alerts (key, panel, raised_at, subject, message)"
                " VALUES (?, ?, ?, ?, ?)",
                [key, panel, raised_at, subject, message],
            )
            new = new or cur.rowcount == 1
    return new


def known(db: sqlite_utils.Database, key: str) -> bool:
    """Whether notice ``key`` was ever raised."""
    return (
        db.execute("SELECT 1 FROM ledger_alerts WHERE key = ? LIMIT 1", [key]).fetchone()
        is not None
    )


def pending(db: sqlite_utils.Database, *, max_attempts: int) -> list[Alert]:
    """Notices not delivered yet and not given up, oldest first."""
    rows = db.execute(
        "SELECT key, panel, raised_at, subject, message, attempts FROM ledger_alerts"
        " WHERE sent_at IS NULL AND attempts < ? ORDER BY raised_at, key, panel",
        [max_attempts],
    ).fetchall()
    return [Alert(str(k), str(p), float(t), str(s), str(m), int(a)) for k, p, t, s, m, a in rows]


def delivered(db: sqlite_utils.Database, alert: Alert, *, at: float) -> None:
    """Mark ``alert`` delivered (or skipped: a panel not set up to be told)."""
    with store.write(db):
        db.execute(
            "UPDATE ledger_alerts SET sent_at = ?, attempts = attempts + 1, last_error = NULL"
            " WHERE key = ? AND panel = ?",
            [at, alert.key, alert.panel],
        )


def failed(db: sqlite_utils.Database, alert: Alert, error: str) -> None:
    """Count a failed delivery; the next round tries again."""
    with store.write(db):
        db.execute(
            "UPDATE ledger_alerts SET attempts = attempts + 1, last_error = ?"
            " WHERE key = ? AND panel = ?",
            [error[:500], alert.key, alert.panel],
        )


def listed(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, object]]:
    """The latest notices with their state, newest first (for the admin page)."""
    cur = db.execute(
        "SELECT key, panel, raised_at, subject, sent_at, attempts, last_error"
        " FROM ledger_alerts ORDER BY raised_at DESC, key, panel LIMIT ?",
        [limit],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
