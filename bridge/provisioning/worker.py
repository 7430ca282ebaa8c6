"""``otwa-bridge worker``: claims due jobs and batch-polls builds until stopped.

Several workers may run at once (separate processes, or threads): leases keep them off
each other's jobs, and the ``schedules`` table makes sure only one of them does each
periodic duty per interval — the one ``GET /servers`` per ``BUILD_POLL_INTERVAL`` that
follows every building server at once (and only when some build could have finished,
``BUILD_MIN_SECONDS`` after it started), the hourly pruning of remembered hooks and
of spent SSO link ids, and of finished operations (``PRUNE_AFTER_DAYS``), and the ledger's
round per ``LEDGER_SAMPLE_INTERVAL`` (``upkeep``: wallet sample, renewals, runway, admin
notices), and Otwa's plan list, fetched again at half its cache lifetime so every process
finds a fresh shared copy and no order spends a slot on it.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import sqlite_utils

from bridge import store
from bridge.otwa import errors
from bridge.provisioning import crashpoints, inbox, jobs, readcache, retention, runner, upkeep
from bridge.provisioning import operations as ops
from bridge.runtime import Bridge
from bridge.sso.spent import prune as prune_spent_links  # listed beside the store: a table

log = logging.getLogger("bridge.provisioning.worker")
BUILT = ("running", "stopped")
PRUNE_EVERY = 3600.0
# Shared reads not asked for this long are dropped (a gone server's stats, old lists), s.
READ_CACHE_KEEP = 86400.0


_claim_slot = jobs.claim_slot


def poll_builds(bridge: Bridge, db: sqlite_utils.Database) -> bool:
    """One batch poll if due and no order is waiting for a slot: ``GET /servers`` once,
    then move finished builds on. Returns True when a poll was made.
    """
    now = bridge.clock.now()
    if jobs.run_due(db, now=now):
        # Orders are waiting for Otwa's slots: they go first. The servers build whether
        # or not anyone polls them; the poll comes once the orders are out.
        return False
    with store.write(db):
        if not ops.build_due(db, now):
            return False
        if not _claim_slot(db, "build_poll", now, bridge.settings.build_poll_interval):
            return False
    client = bridge.client().with_options(priority="background", max_retries=0)
    try:
        servers = {s.id: s for s in client.list_servers()}
    except errors.OtwaError as exc:
        log.info("build poll failed; next interval retries: %s", exc)
        return True
    # The list is paid for: move on every build it shows finished, due or not. Only a
    # server missing from the list counts against a build that could not have finished.
    for op_id, due in ops.building(db, now):
        op = ops.get(db, op_id)
        if op is None or op["state"] != ops.BUILDING:
            continue
        server = servers.get(op["server_id"])
        status = server.status if server is not None else "missing"
        if status in BUILT:
            _built(bridge, db, op, server)
        elif status in ("failed", "terminated") or (status == "missing" and due):
            _build_lost(bridge, db, op, str(status))
    return True


def _built(bridge: Bridge, db: sqlite_utils.Database, op: dict[str, Any], server: Any) -> None:
    result = {
        **(op.get("result") or {}),
        "server_id": server.id,
        "status": server.status,
        "label": server.label,
        "ip": server.ip_address,
        "additional_ips": [ip.ip for ip in server.additional_ips or []],
    }
    with store.write(db):
        now = bridge.clock.now()
        fresh = ops.get(db, op["id"])
        if fresh is None or fresh["state"] != ops.BUILDING:
            return
        ops.transition(
            db, fresh, ops.WRITEBACK, now=now, reason=f"server {server.status}", result=result
        )
        jobs.enqueue(db, fresh, "writeback", now=now, max_attempts=bridge.settings.job_max_attempts)
        readcache.forget(db, *readcache.server_keys(server.id))
        crashpoints.hit("poll.before_commit")


def _build_lost(bridge: Bridge, db: sqlite_utils.Database, op: dict[str, Any], status: str) -> None:
    message = {
        "failed": "Otwa reports the server's build failed; contact Otwa support or reinstall.",
        "terminated": "The server was terminated before its build finished.",
        "missing": "Otwa no longer lists the server; it was deleted before its build finished.",
    }[status]
    code = "build_failed" if status == "failed" else "server_gone"
    with store.write(db):
        now = bridge.clock.now()
        fresh = ops.get(db, op["id"])
        if fresh is None or fresh["state"] != ops.BUILDING:
            return
        ops.transition(
            db,
            fresh,
            ops.FAILED,
            now=now,
            reason=f"server {status}",
            error_code=code,
            error_status=502,
            error_message=message,
        )
        runner.queue_notice(bridge, db, fresh, code, message)


def _due(db: sqlite_utils.Database, name: str, now: float, interval: float) -> bool:
    """True when this process should do duty ``name`` now (and booked the next one)."""
    row = db.execute("SELECT next_at FROM schedules WHERE name = ?", [name]).fetchone()
    if row is not None and row[0] > now:
        return False  # the common case, answered without taking the write lock
    # No fsync: a lost schedule row only means doing the duty again.
    with store.write(db, durable=False):
        return _claim_slot(db, name, now, interval)


def prune_if_due(bridge: Bridge, db: sqlite_utils.Database) -> int:
    """At most once per hour across every worker: forget hooks older than
    ``HOOK_DEDUPE_SECONDS`` and finished operations older than ``PRUNE_AFTER_DAYS``
    (bridge.provisioning.retention), spent SSO link ids whose links have expired
    (:func:`bridge.sso.spent.prune`) and shared reads nobody asked for in a day; the number
    of rows forgotten."""
    now = bridge.clock.now()
    pruned = 0
    if _due(db, "prune_hooks", now, PRUNE_EVERY):
        pruned += inbox.prune(db, before=now - bridge.settings.hook_dedupe_seconds)
        days = bridge.settings.prune_after_days
        if days > 0:
            pruned += retention.prune(db, before=now - days * 86400)
    if _due(db, "prune_sso_links", now, PRUNE_EVERY):
        pruned += prune_spent_links(db, now)
    if _due(db, "prune_read_cache", now, PRUNE_EVERY):
        pruned += readcache.prune(db, before=now - READ_CACHE_KEEP)
    return pruned


def refresh_plans_if_due(bridge: Bridge, db: sqlite_utils.Database) -> bool:
    """At half the plan cache's lifetime, across every worker: ``GET /products`` into the
    shared copy (bridge.otwa.plans). True when this call refreshed it. A refusal or an
    outage is logged and tried again next interval: until then processes fetch on their own.
    """
    if not _due(db, "refresh_plans", bridge.clock.now(), bridge.plans.ttl / 2):
        return False
    # No retries and no waiting for a slot: a spent window means creates are using it.
    client = bridge.client().with_options(priority="background", max_retries=0, budget_wait=0.0)
    try:
        bridge.plans.refresh(client)
    except errors.OtwaError as exc:
        log.info("plan list not refreshed: %s", exc)
        return False
    return True


def work_once(bridge: Bridge, db: sqlite_utils.Database, owner: str) -> bool:
    """Run at most one due job and at most one batch poll; True when anything happened."""
    # Taking a lease needs no fsync: lost on a power cut, the job is simply claimed again.
    with store.write(db, durable=False):
        job = jobs.claim(db, owner, bridge.settings.job_lease_seconds, now=bridge.clock.now())
    if job is not None:
        runner.execute(bridge, db, job)
    polled = poll_builds(bridge, db)
    refresh_plans_if_due(bridge, db)
    prune_if_due(bridge, db)
    upkeep.ledger_if_due(bridge, db)
    return job is not None or polled


def run(
    bridge: Bridge,
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
    bridge.migrate()
    loops = [
        threading.Thread(target=_loop, args=(bridge, stop, until_idle), name=f"worker-{n}")
        for n in range(1, max(1, threads))
    ]
    for loop in loops:
        loop.start()
    try:
        _loop(bridge, stop, until_idle)
    finally:
        if not until_idle:
            stop.set()
        for loop in loops:
            loop.join()


def _loop(bridge: Bridge, stop: threading.Event, until_idle: bool) -> None:
    db = bridge.connect()
    owner = jobs.owner_id()
    idle = bridge.settings.worker_idle_seconds
    log.info("worker started", extra={"owner": owner})
    try:
        while not stop.is_set():
            if work_once(bridge, db, owner):
                continue
            if until_idle and not jobs.anything_open(db):
                break
            stop.wait(idle)
    finally:
        db.close()
        log.info("worker stopped", extra={"owner": owner})
