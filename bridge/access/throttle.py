"""Failed admin logins, counted per client address and in total, in SQLite (every
gunicorn worker sees the same counts).

A login is refused (429) while the address has ``per_address`` failures within the
last ``window`` seconds, or all addresses together ``total``: the first stops guessing
from one place, the second a spread-out guess (at the price that a flood of failures
locks password logins for everyone for up to a window; an authenticating proxy, or the
CLI, still works). A good password clears its address's failures.
"""

from __future__ import annotations

import sqlite_utils

from bridge import store


def retry_after(
    db: sqlite_utils.Database,
    address: str,
    *,
    now: float,
    window: float,
    per_address: int,
    total: int,
) -> float:
    """Seconds until a login from ``address`` may be tried; 0 when it may now."""
    since = now - window
    mine = db.execute(
        "SELECT count(*), min(at) FROM (SELECT at FROM admin_login_failures"
        " WHERE address = ? AND at > ? ORDER BY at DESC LIMIT ?)",
        [address, since, per_address],
    ).fetchone()
    if mine[0] >= per_address:
        return max(1.0, float(mine[1]) + window - now)
    every = db.execute(
        "SELECT count(*), min(at) FROM (SELECT at FROM admin_login_failures"
        " WHERE at > ? ORDER BY at DESC LIMIT ?)",
        [since, total],
    ).fetchone()
    if every[0] >= total:
        return max(1.0, float(every[1]) + window - now)
    return 0.0


def failed(db: sqlite_utils.Database, address: str, *, now: float, window: float) -> None:
    """Count a failed login from ``address`` (and forget failures older than the window)."""
    with store.write(db):
        db.execute("INSERT INTO admin_login_failures (address, at) VALUES (?, ?)", [address, now])
        db.execute("DELETE FROM admin_login_failures WHERE at < ?", [now - window])


def succeeded(db: sqlite_utils.Database, address: str) -> None:
    """A good password from ``address``: its failures are forgiven."""
    with store.write(db):
        db.execute("DELETE FROM admin_login_failures WHERE address = ?", [address])
