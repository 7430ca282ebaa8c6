"""Spent link ids: a link opens at most one login, whoever clicks and however fast.

:func:`consume` is one ``INSERT ... ON CONFLICT DO NOTHING`` on the ``sso_spent`` primary
key, so of any number of clicks racing (threads or processes) exactly one inserts the row
and wins. Rows are kept until the token has expired (verification refuses it from then on)
plus :data:`PRUNE_GRACE`, then :func:`prune` drops them.

``db`` is always a :func:`bridge.store.connect` / :func:`bridge.store.thread_db`
connection with the ``"sso"`` migrations applied (:func:`bridge.sso.migrations.apply`).
"""

from __future__ import annotations

import logging

import sqlite_utils

from bridge import store

log = logging.getLogger(__name__)

# A click verified just before expiry may reach consume() a little later; its row must not
# be pruned yet, or a second click could spend the same id again.
PRUNE_GRACE = 300.0


def consume(
    db: sqlite_utils.Database,
    jti: str,
    *,
    expires_at: float,
    now: float,
    panel: str,
    service_id: str,
) -> bool:
    """Spend ``jti``: True for the one call that spent it, False if it was already spent.

    One durable write transaction: a spend that returned True survives a power cut, so a
    link can never open a second login after a crash.
    """
    with store.write(db):
        cur = db.execute(
            "INSERT INTO sso_spent (jti, panel, service_id, spent_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
            [jti, panel, service_id, now, expires_at],
        )
    return cur.rowcount == 1


def release(db: sqlite_utils.Database, jti: str) -> bool:
    """Un-spend ``jti`` after a click that opened nothing and asked the customer to try
    again (Otwa down or slow, server not ready yet); True if a row was removed."""
    # No fsync: if a power cut brings the row back, the link is merely spent.
    with store.write(db, durable=False):
        cur = db.execute("DELETE FROM sso_spent WHERE jti = ?", [jti])
    return cur.rowcount == 1


def is_spent(db: sqlite_utils.Database, jti: str) -> bool:
    """True when ``jti`` is currently spent (read-only)."""
    row = db.execute("SELECT 1 FROM sso_spent WHERE jti = ?", [jti]).fetchone()
    return row is not None


def prune(db: sqlite_utils.Database, now: float, *, grace: float = PRUNE_GRACE) -> int:
    """Forget ids whose token expired more than ``grace`` seconds before ``now``; how many.

    For the worker's periodic housekeeping; cheap (indexed) and safe to run anywhere.
    """
    # No fsync: rows a power cut brings back are pruned again next time.
    with store.write(db, durable=False):
        cur = db.execute("DELETE FROM sso_spent WHERE expires_at < ?", [now - grace])
    if cur.rowcount:
        log.info("pruned spent sso links", extra={"count": cur.rowcount})
    return cur.rowcount
