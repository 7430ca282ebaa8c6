"""Otwa reads shared for a few seconds by every process: a page view storm makes one call.

A client area page view, the admin tab, a usage or reconcile run all ask Otwa the same
questions (a server, its live stats, the server list, the catalog). :func:`cached` keeps
each answer in the ``read_cache`` table for ``ttl`` seconds of the Bridge's clock, and
lets only one process (or thread) ask Otwa for a key at a time: the first one to miss
books the key (``filling_until``) and asks; the others wait for its answer, up to the
booking's end, and only then ask themselves. A failed read is kept too, for at most
:data:`ERROR_TTL` seconds, so an outage is not multiplied by the storm.

Values are JSON and never secret (no credentials, no login links). No transaction is held
across the Otwa call; the rows are disposable (non-durable writes: a lost row costs one
call). Changes made through operations mark the server's rows stale (:func:`forget`).
The ``plans`` row is not this module's: bridge.store.plans keeps Otwa's plan list there for
the plan cache, which lives below this layer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bridge import store
from bridge.errors import BridgeError
from bridge.runtime import Bridge

log = logging.getLogger("bridge.provisioning.readcache")

# A failed read is answered again (not asked again) for this long, at most.
ERROR_TTL = 2.0
# How often a waiting process looks for the answer another one is fetching, s.
POLL_STEP = 0.02


@dataclass(frozen=True)
class _Row:
    value: Any
    error: dict[str, Any] | None
    fetched_at: float
    filling_until: float


def _read(db: sqlite_utils.Database, key: str) -> _Row | None:
    row = db.execute(
        "SELECT value, error, fetched_at, filling_until FROM read_cache WHERE key = ?", [key]
    ).fetchone()
    if row is None:
        return None
    value = json.loads(row[0]) if row[0] is not None else None
    error = json.loads(row[1]) if row[1] is not None else None
    return _Row(value, error, float(row[2]), float(row[3]))


def _fresh(row: _Row | None, now: float, ttl: float) -> bool:
    if row is None or row.fetched_at <= 0:
        return False
    if row.error is not None:
        return now - row.fetched_at < min(ttl, ERROR_TTL)
    return now - row.fetched_at < ttl


def _answer(row: _Row) -> Any:
    if row.error is not None:
        raise BridgeError(
            str(row.error.get("message") or "Otwa could not be asked."),
            code=str(row.error.get("code") or "otwa_unavailable"),
            status=int(row.error.get("status") or 503),
        )
    return row.value


def _book(db: sqlite_utils.Database, key: str, now: float, until: float, ttl: float) -> _Row | bool:
    """Book ``key`` for this caller's fetch. Returns a fresh row found meanwhile, True when
    booked, False when another caller holds the booking."""
    # No fsync: a lost booking only lets a second process ask Otwa too.
    with store.write(db, durable=False):
        row = _read(db, key)
        if _fresh(row, now, ttl):
            assert row is not None
            return row
        if row is not None and row.filling_until > now:
            return False
        db.execute(
            "INSERT INTO read_cache (key, filling_until) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET filling_until = excluded.filling_until",
            [key, until],
        )
    return True


def _store(
    db: sqlite_utils.Database,
    key: str,
    now: float,
    *,
    value: Any = None,
    error: dict[str, Any] | None = None,
) -> None:
    # No fsync: a lost answer is asked again.
    with store.write(db, durable=False):
        db.execute(
            "INSERT INTO read_cache (key, value, error, fetched_at, filling_until)"
            " VALUES (?, ?, ?, ?, 0) ON CONFLICT(key) DO UPDATE SET"
            " value = coalesce(excluded.value, value), error = excluded.error,"
            " fetched_at = excluded.fetched_at, filling_until = 0",
            [
                key,
                json.dumps(value, sort_keys=True, default=str) if error is None else None,
                json.dumps(error) if error is not None else None,
                now,
            ],
        )


def cached(
    bridge: Bridge,
    db: sqlite_utils.Database,
    key: str,
    fetch: Callable[[Any], Any],
    *,
    ttl: float,
    wait: float,
) -> Any:
    """The answer for ``key`` no older than ``ttl`` seconds, else ``fetch(previous)``'s.

    ``fetch`` gets the last answer (or None) and returns a JSON-able value, or raises
    :class:`BridgeError` (kept for up to :data:`ERROR_TTL` s and raised to every caller
    meanwhile). ``wait``: the longest a caller waits for another one's fetch, s. With
    ``ttl`` 0 every caller fetches.
    """
    clock = bridge.clock
    now = clock.now()
    row = _read(db, key)
    if ttl > 0 and _fresh(row, now, ttl):
        assert row is not None
        return _answer(row)
    if ttl > 0:
        booked = _book(db, key, now, now + wait, ttl)
        if isinstance(booked, _Row):
            return _answer(booked)
        if booked is False:
            row = _wait_for(bridge, db, key, ttl, wait)
            if row is not None:
                return _answer(row)
    previous = row.value if row is not None else None
    try:
        value = fetch(previous)
    except BridgeError as exc:
        if ttl > 0:
            error = {"code": exc.code, "message": exc.message, "status": exc.status}
            _store(db, key, clock.now(), error=error)
        raise
    except Exception:
        if ttl > 0:  # free the booking for the next caller, then let the bug through
            _store(db, key, 0.0, error=None, value=previous)
        raise
    if ttl > 0:
        _store(db, key, clock.now(), value=value)
    return value


def _wait_for(
    bridge: Bridge, db: sqlite_utils.Database, key: str, ttl: float, wait: float
) -> _Row | None:
    """The row another caller is filling, once fresh; None when its booking ran out.

    The wait is real time (``time``), not the Bridge's clock: it waits for another thread
    or process to finish an HTTP call, which a test's manual clock cannot hurry along.
    Freshness and the booking's end are still judged on the Bridge's clock."""
    started = time.monotonic()
    while time.monotonic() - started < wait:
        time.sleep(POLL_STEP)
        row = _read(db, key)
        now = bridge.clock.now()
        if _fresh(row, now, ttl):
            return row
        if row is None or row.filling_until <= now:
            return None
    return None


def forget(db: sqlite_utils.Database, *keys: str) -> None:
    """Mark ``keys`` stale (caller's write transaction): the next read asks Otwa. Kept
    values stay (the stats history builds on them)."""
    if keys:
        marks = ", ".join("?" for _ in keys)
        db.execute(
            f"UPDATE read_cache SET fetched_at = 0 WHERE key IN ({marks})",  # noqa: S608
            list(keys),
        )


def server_keys(server_id: str | None) -> tuple[str, ...]:
    """The keys holding what a change to server ``server_id`` makes stale."""
    if not server_id:
        return ()
    return (f"server:{server_id}", f"stats:{server_id}", "servers")


def prune(db: sqlite_utils.Database, *, before: float) -> int:
    """Drop rows last filled before ``before`` (epoch s); the number dropped."""
    # No fsync: the rows are disposable.
    with store.write(db, durable=False):
        cur = db.execute(
            "DELETE FROM read_cache WHERE fetched_at < ? AND filling_until < ?", [before, before]
        )
    return int(cur.rowcount)
