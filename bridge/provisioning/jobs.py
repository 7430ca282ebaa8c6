"""The durable job queue in the bridge's SQLite file: leases, backoff, dead-letter.

A job is claimed by setting ``lease_owner``/``lease_expires_at`` under ``BEGIN IMMEDIATE``;
a claimer that dies (SIGKILL) simply stops renewing, and the job is claimable again once the
lease has expired (at-least-once; every handler is idempotent). Each claim counts as an
attempt, so a job that kills its worker every time still reaches the dead-letter state.
``run`` jobs of one service run in order (FIFO per service): a job is not claimable while an
older ``run`` job of the same service is unfinished.

Failure: ``run_after = now + U(0, min(cap, base * 2**attempts))`` (full jitter); after
``max_attempts`` the job is ``dead``. Every function here expects the caller's write
transaction (``store.write``) and its time ``now`` (the Bridge's clock), and never makes an
HTTP call.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
from typing import Any

import sqlite_utils

READY, LEASED, DONE, DEAD, CANCELLED = "ready", "leased", "done", "dead", "cancelled"
OPEN = (READY, LEASED)
KINDS = ("run", "read", "writeback", "notify", "destroy")


def owner_id(prefix: str = "worker") -> str:
    """A lease owner name unique to this process and thread."""
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _row(cur: Any) -> dict[str, Any] | None:
    row = cur.fetchone()
    if row is None:
        return None
    job = dict(zip([d[0] for d in cur.description], row, strict=True))
    job["payload"] = json.loads(job.get("payload") or "{}")
    return job


def enqueue(
    db: sqlite_utils.Database,
    operation: dict[str, Any],
    kind: str,
    *,
    now: float,
    max_attempts: int,
    delay: float = 0.0,
    payload: dict[str, Any] | None = None,
) -> int:
    """Add a job for ``operation``, due ``delay`` seconds after ``now``; returns its id."""
    assert kind in KINDS
    t = now
    cur = db.execute(
        "INSERT INTO jobs (operation_id, panel, service_id, kind, state, attempts, max_attempts,"
        " run_after, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
        [
            operation["id"],
            operation["panel"],
            operation["service_id"],
            kind,
            READY,
            max_attempts,
            t + delay,
            json.dumps(payload or {}, sort_keys=True),
            t,
            t,
        ],
    )
    return int(cur.lastrowid or 0)


_CLAIMABLE = """
    (j.state = 'ready' AND j.run_after <= :due
        OR j.state = 'leased' AND j.lease_expires_at < :now)
    AND (j.kind != 'run' OR NOT EXISTS (
        SELECT 1 FROM jobs o WHERE o.panel = j.panel AND o.service_id = j.service_id
        AND o.kind = 'run' AND o.state IN ('ready', 'leased') AND o.id < j.id))
"""


def claim(
    db: sqlite_utils.Database,
    owner: str,
    lease_seconds: float,
    *,
    now: float,
    job_id: int | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> dict[str, Any] | None:
    """Lease the next due job (or exactly ``job_id`` when it is claimable); None if none.

    ``run`` jobs (the orders and changes themselves) go before write-backs, notices and
    delayed destroys: in a burst, Otwa's slots go to creates first; a write-back only
    fetches what a finished server will still have later. The claim is one
    ``UPDATE ... RETURNING`` so two claimers can never get the same job.
    """
    t = now
    params: dict[str, Any] = {"now": t, "owner": owner, "until": t + lease_seconds}
    due = ":now"
    if job_id is not None:
        # The hook's own claim: a job held for its inline attempt is due for it at once.
        where = "j.id = :job_id"
        params["job_id"] = job_id
        due = "j.run_after"
    else:
        where = "j.kind IN (" + ", ".join(f"'{k}'" for k in kinds if k in KINDS) + ")"
    sql = f"""
        UPDATE jobs SET state = 'leased', lease_owner = :owner, lease_expires_at = :until,
            attempts = attempts + 1, updated_at = :now
        WHERE id = (SELECT j.id FROM jobs j WHERE {where} AND {_CLAIMABLE.replace(":due", due)}
                    ORDER BY j.kind != 'run', j.run_after, j.id LIMIT 1)
        RETURNING *
    """  # noqa: S608 - only our constants are interpolated
    return _row(db.execute(sql, params))


def still_ours(db: sqlite_utils.Database, job: dict[str, Any]) -> bool:
    """True while ``job`` is leased by the same owner (fencing before recording results)."""
    row = db.execute(
        "SELECT 1 FROM jobs WHERE id = ? AND state = 'leased' AND lease_owner = ?",
        [job["id"], job["lease_owner"]],
    ).fetchone()
    return row is not None


def finish(
    db: sqlite_utils.Database, job: dict[str, Any], *, now: float, state: str = DONE
) -> bool:
    """Close our leased job as ``done`` (or ``dead``/``cancelled``); False if the lease was lost."""
    cur = db.execute(
        "UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?"
        " WHERE id = ? AND lease_owner = ? AND state = 'leased'",
        [state, now, job["id"], job["lease_owner"]],
    )
    return cur.rowcount == 1


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with full jitter: ``U(0, min(cap, base * 2**attempts))``."""
    ceiling = min(cap, base * (2 ** max(0, attempts)))
    return (rng or random).uniform(0, ceiling)


def retry(
    db: sqlite_utils.Database,
    job: dict[str, Any],
    error: str,
    *,
    now: float,
    base: float,
    cap: float,
    at_least: float = 0.0,
) -> str:
    """Record a failed attempt: back to ``ready`` after a backoff, or ``dead`` past the cap.

    Returns the new state (``ready`` or ``dead``); ``leased`` if the lease was lost.
    """
    if not still_ours(db, job):
        return LEASED
    if job["attempts"] >= job["max_attempts"]:
        state, run_after = DEAD, now
    else:
        state, run_after = READY, now + max(at_least, backoff(job["attempts"], base, cap))
    db.execute(
        "UPDATE jobs SET state = ?, run_after = ?, last_error = ?, lease_owner = NULL,"
        " lease_expires_at = NULL, updated_at = ? WHERE id = ?",
        [state, run_after, error[:500], now, job["id"]],
    )
    return state


def release(
    db: sqlite_utils.Database, job: dict[str, Any], *, now: float, delay: float = 0.0
) -> None:
    """Give the lease back without counting the attempt (e.g. waiting on another operation)."""
    db.execute(
        "UPDATE jobs SET state = 'ready', attempts = MAX(0, attempts - 1), run_after = ?,"
        " lease_owner = NULL, lease_expires_at = NULL, updated_at = ?"
        " WHERE id = ? AND lease_owner = ? AND state = 'leased'",
        [now + delay, now, job["id"], job["lease_owner"]],
    )


def run_due(db: sqlite_utils.Database, *, now: float, other_than: str | None = None) -> bool:
    """True while a ``run`` job is due and not taken: work waiting for Otwa's slots.
    ``other_than``: an operation whose own job does not count (a hook asking about the
    orders before its own)."""
    # The partial index (m011) holds only ready run jobs: queued write-backs cost nothing.
    row = db.execute(
        "SELECT 1 FROM jobs INDEXED BY jobs_runs_due"
        " WHERE state = 'ready' AND kind = 'run' AND run_after <= ? AND operation_id IS NOT ?"
        " LIMIT 1",
        [now, other_than],
    ).fetchone()
    return row is not None


def postpone(db: sqlite_utils.Database, job_id: int, *, until: float) -> None:
    """A ready job not due before ``until`` (e.g. when Otwa's budget frees a slot)."""
    db.execute("UPDATE jobs SET run_after = ? WHERE id = ? AND state = 'ready'", [until, job_id])


def hand_over(db: sqlite_utils.Database, job_id: int, *, now: float) -> None:
    """A job held for the hook's inline attempt that the hook will not try: due at once."""
    db.execute(
        "UPDATE jobs SET run_after = min(run_after, ?) WHERE id = ? AND state = 'ready'",
        [now, job_id],
    )


def leased_now(db: sqlite_utils.Database, operation_id: str, *, now: float) -> bool:
    """True while one of the operation's jobs is leased by a live claimer."""
    row = db.execute(
        "SELECT 1 FROM jobs WHERE operation_id = ? AND state = 'leased' AND lease_expires_at >= ?",
        [operation_id, now],
    ).fetchone()
    return row is not None


def cancel_all(db: sqlite_utils.Database, operation_id: str, *, now: float) -> int:
    """Cancel every open (ready or leased) job of the operation; returns how many."""
    cur = db.execute(
        "UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE operation_id = ?"
        " AND state IN ('ready', 'leased')",
        [now, operation_id],
    )
    return cur.rowcount


def anything_open(db: sqlite_utils.Database) -> bool:
    """True while any job is ready or leased, or any build is being waited for."""
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM jobs WHERE state IN ('ready', 'leased'))"
        " + (SELECT COUNT(*) FROM operations WHERE state = 'building')"
    ).fetchone()
    return bool(row[0])


def open_job(
    db: sqlite_utils.Database, operation_id: str, kinds: tuple[str, ...] = KINDS
) -> dict[str, Any] | None:
    """The newest ready or leased job of an operation among ``kinds``, or None."""
    marks = ", ".join("?" for _ in kinds)
    cur = db.execute(
        f"SELECT * FROM jobs WHERE operation_id = ? AND state IN ('ready', 'leased')"  # noqa: S608
        f" AND kind IN ({marks}) ORDER BY id DESC LIMIT 1",
        [operation_id, *kinds],
    )
    return _row(cur)


def latest(db: sqlite_utils.Database, operation_id: str) -> dict[str, Any] | None:
    """The operation's newest job of any state, or None."""
    return _row(
        db.execute(
            "SELECT * FROM jobs WHERE operation_id = ? ORDER BY id DESC LIMIT 1", [operation_id]
        )
    )


def cancel_open(
    db: sqlite_utils.Database, operation_id: str, kinds: tuple[str, ...], *, now: float
) -> int:
    """Cancel the operation's ready (not leased) jobs of ``kinds``; returns how many."""
    marks = ", ".join("?" for _ in kinds)
    cur = db.execute(
        f"UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE operation_id = ?"  # noqa: S608
        f" AND state = 'ready' AND kind IN ({marks})",
        [now, operation_id, *kinds],
    )
    return cur.rowcount


def claim_slot(db: sqlite_utils.Database, name: str, now: float, interval: float) -> bool:
    """True when this process may do periodic duty ``name`` now (and books the next one
    ``interval`` seconds on), inside the caller's write transaction: across every worker,
    one of them does each duty once per interval (the ``schedules`` table)."""
    row = db.execute("SELECT next_at FROM schedules WHERE name = ?", [name]).fetchone()
    if row is not None and row[0] > now:
        return False
    db.execute(
        "INSERT INTO schedules (name, next_at, owner) VALUES (?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET next_at = excluded.next_at, owner = excluded.owner",
        [name, now + interval, owner_id()],
    )
    return True
