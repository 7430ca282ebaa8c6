"""``otwa-bridge worker``: claims due jobs and batch-polls builds until stopped.

Several workers may run at once (separate processes): leases keep them off each other's
jobs, and the ``schedules`` row ``build_poll`` makes sure only one of them sends the one
``GET /servers`` per ``BUILD_POLL_INTERVAL`` that follows every building server at once —
and only when some build could have finished (``BUILD_MIN_SECONDS`` after it started).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from bridge import store
from bridge.otwa import errors
from bridge.provisioning import crashpoints, jobs, runner
from bridge.provisioning import operations as ops
from bridge.provisioning.context import base_client

log = logging.getLogger("bridge.provisioning.worker")
BUILT = ("running", "stopped")


def _claim_poll_slot(db: sqlite_utils.Database, interval: float) -> bool:
    """True when this process may poll now: a build is due and the interval has passed."""
    t = ops.now()
    with store.write(db):
        due = db.execute(
            "SELECT 1 FROM operations WHERE state = 'building' AND build_ready_at <= ? LIMIT 1",
            [t],
        ).fetchone()
        if not due:
            return False
        row = db.execute("SELECT next_at FROM schedules WHERE name = 'build_poll'").fetchone()
        if row is not None and row[0] > t:
            return False
        db.execute(
            "INSERT INTO schedules (name, next_at, owner) VALUES ('build_poll', ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET next_at = excluded.next_at, owner = excluded.owner",
            [t + interval, jobs.owner_id()],
        )
    return True


def poll_builds(settings: Mapping[str, Any], db: sqlite_utils.Database) -> bool:
    """One batch poll if due: ``GET /servers`` once, then move finished builds on.

    Returns True when a poll was made.
    """
    interval = settings["BUILD_POLL_INTERVAL"]
    if not _claim_poll_slot(db, interval):
        return False
    t = ops.now()
    client = base_client(settings).with_options(priority="background", max_retries=0)
    try:
        servers = {s.id: s for s in client.list_servers()}
    except errors.OtwaError as exc:
        log.info("build poll failed; next interval retries: %s", exc)
        return True
    # The list is paid for: move on every build it shows finished, due or not. Only a
    # server missing from the list counts against a build that could not have finished.
    rows = db.execute(
        "SELECT id, build_ready_at <= ? FROM operations WHERE state = 'building'", [t]
    ).fetchall()
    for op_id, due in rows:
        op = ops.get(db, op_id)
        if op is None or op["state"] != ops.BUILDING:
            continue
        server = servers.get(op["server_id"])
        status = server.status if server is not None else "missing"
        if status in BUILT:
            _built(settings, db, op, server)
        elif status in ("failed", "terminated") or (status == "missing" and due):
            _build_lost(settings, db, op, status)
    return True


def _built(settings: Mapping[str, Any], db: sqlite_utils.Database, op: dict, server: Any) -> None:
    result = {
        **(op.get("result") or {}),
        "server_id": server.id,
        "status": server.status,
        "label": server.label,
        "ip": server.ip_address,
        "additional_ips": [ip.ip for ip in server.additional_ips or []],
    }
    with store.write(db):
        fresh = ops.get(db, op["id"])
        if fresh is None or fresh["state"] != ops.BUILDING:
            return
        ops.transition(db, fresh, ops.WRITEBACK, reason=f"server {server.status}", result=result)
        jobs.enqueue(db, fresh, "writeback", max_attempts=settings["JOB_MAX_ATTEMPTS"])
        crashpoints.hit("poll.before_commit")


def _build_lost(
    settings: Mapping[str, Any], db: sqlite_utils.Database, op: dict, status: str
) -> None:
    message = {
        "failed": "Otwa reports the server's build failed; contact Otwa support or reinstall.",
        "terminated": "The server was terminated before its build finished.",
        "missing": "Otwa no longer lists the server; it was deleted before its build finished.",
    }[status]
    code = "build_failed" if status == "failed" else "server_gone"
    with store.write(db):
        fresh = ops.get(db, op["id"])
        if fresh is None or fresh["state"] != ops.BUILDING:
            return
        ops.transition(
            db,
            fresh,
            ops.FAILED,
            reason=f"server {status}",
            error_code=code,
            error_status=502,
            error_message=message,
        )
        runner.queue_notice(settings, db, fresh, code, message)


def work_once(settings: Mapping[str, Any], db: sqlite_utils.Database, owner: str) -> bool:
    """Run at most one due job and at most one batch poll; True when anything happened."""
    # Taking a lease needs no fsync: lost on a power cut, the job is simply claimed again.
    with store.write(db, durable=False):
        job = jobs.claim(db, owner, settings["JOB_LEASE_SECONDS"])
    if job is not None:
        runner.execute(settings, db, job)
    polled = poll_builds(settings, db)
    return job is not None or polled


def run(
    settings: Mapping[str, Any],
    *,
    stop: threading.Event | None = None,
    until_idle: bool = False,
    threads: int = 1,
) -> None:
    """The worker. SIGTERM/SIGINT let each thread finish its current job, then exit.

    ``threads``: job loops in this process, each with its own connection and lease owner,
    exactly like separate worker processes (leases keep them apart; the shared budget paces
    their Otwa calls). ``until_idle``: exit once no job is due and no operation is open.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    store.connect(settings["DATABASE"], migrate=True).close()
    loops = [
        threading.Thread(target=_loop, args=(settings, stop, until_idle), name=f"worker-{n}")
        for n in range(1, max(1, threads))
    ]
    for loop in loops:
        loop.start()
    try:
        _loop(settings, stop, until_idle)
    finally:
        if not until_idle:
            stop.set()
        for loop in loops:
            loop.join()


def _loop(settings: Mapping[str, Any], stop: threading.Event, until_idle: bool) -> None:
    db = store.connect(settings["DATABASE"])
    owner = jobs.owner_id()
    idle = settings["WORKER_IDLE_SECONDS"]
    log.info("worker started", extra={"owner": owner})
    try:
        while not stop.is_set():
            if work_once(settings, db, owner):
                continue
            if until_idle and not _anything_open(db):
                break
            stop.wait(idle)
    finally:
        db.close()
        log.info("worker stopped", extra={"owner": owner})


def _anything_open(db: sqlite_utils.Database) -> bool:
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM jobs WHERE state IN ('ready', 'leased'))"
        " + (SELECT COUNT(*) FROM operations WHERE state = 'building')"
    ).fetchone()
    return bool(row[0])
