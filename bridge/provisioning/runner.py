"""Run one leased job: the action, then record what happened in one short transaction.

Shared by the hook (``run_inline``: short deadline, no retries) and the worker. The
transaction that records a result checks first that our lease still holds (fencing): a
claimer whose lease expired records nothing, and the job's new owner repeats the work with
the same idempotency key. A definitive failure met by the worker (after queueing) also
queues an admin notification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlite_utils

from bridge import store
from bridge.commands import Command, Outcome
from bridge.errors import error_body
from bridge.otwa import errors
from bridge.provisioning import actions, crashpoints, jobs, readcache, writeback
from bridge.provisioning import operations as ops
from bridge.provisioning.actions import Done
from bridge.provisioning.context import Context
from bridge.provisioning.failures import Refusal, Transient, classify
from bridge.runtime import Bridge

log = logging.getLogger("bridge.provisioning")

# The operation state each job kind expects; anything else means the job is stale.
EXPECTS = {
    "run": (ops.QUEUED,),
    "read": (ops.QUEUED,),
    "writeback": (ops.WRITEBACK,),
    "destroy": (ops.SCHEDULED,),
}

# Keyed actions: a redo after a lost result commit sends the same Idempotency-Key, and
# Otwa answers with the first result (the key's window start is committed durably first).
_KEYED_ACTIONS = ("create", "reinstall")


def _handler(job: dict[str, Any], op: dict[str, Any]) -> Callable[[Context], Done]:
    kind = job["kind"]
    if kind in ("run", "read"):
        return actions.RUN_ACTIONS[op["action"]]
    return {
        "writeback": writeback.writeback,
        "notify": writeback.notify,
        "destroy": actions.destroy_later,
    }[kind]


def execute(
    bridge: Bridge,
    db: sqlite_utils.Database,
    job: dict[str, Any],
    *,
    inline: bool = False,
    deadline: float | None = None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Run ``job`` (already leased by us); returns (operation after, live reply or None)."""
    op = ops.get(db, job["operation_id"])
    if op is None:
        with store.write(db):
            jobs.finish(db, job, now=bridge.clock.now(), state=jobs.CANCELLED)
        return None, None
    expected = EXPECTS.get(job["kind"])
    if expected is not None and op["state"] not in expected:
        with store.write(db):
            jobs.finish(db, job, now=bridge.clock.now(), state=jobs.CANCELLED)
        log.info("stale job dropped", extra={"job_id": job["id"], "operation_id": op["id"]})
        return op, None
    if job["kind"] == "read" and not inline:
        # A read nobody waits for any more: close it without spending an Otwa call.
        with store.write(db):
            now = bridge.clock.now()
            if jobs.finish(db, job, now=now):
                ops.transition(
                    db,
                    op,
                    ops.FAILED,
                    now=now,
                    reason="expired",
                    error_code="expired",
                    error_status=504,
                    error_message="The request was not answered in time; ask again.",
                )
        return op, None
    service = ops.get_service(db, op["panel"], op["service_id"])
    ctx = Context(bridge, db, op, service, job, inline=inline, deadline=deadline)
    what = f"{op['action']} of service {op['service_id']}"
    try:
        done = _handler(job, op)(ctx)
    except Transient as exc:
        return _transient(ctx, exc), None
    except Refusal as exc:
        return _refuse(ctx, exc), None
    except errors.OtwaError as exc:
        outcome = classify(exc, what)
        if isinstance(outcome, Transient):
            return _transient(ctx, outcome), None
        return _refuse(ctx, outcome), None
    except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker; retried, logged
        log.exception("job handler failed", extra={"job_id": job["id"], "operation_id": op["id"]})
        return _transient(ctx, Transient(f"internal error ({type(exc).__name__})")), None
    return _apply(ctx, done)


def _apply(ctx: Context, done: Done) -> tuple[dict[str, Any], dict[str, Any] | None]:
    db, op, job = ctx.db, ctx.op, ctx.job
    # Lost on a power cut, a keyed action's result is redone under the same key (Otwa
    # replays it) and a read is simply asked again; everything else commits durably.
    redo_safe = job["kind"] == "read" or (job["kind"] == "run" and op["action"] in _KEYED_ACTIONS)
    settings = ctx.bridge.settings
    with store.write(db, durable=not redo_safe):
        now = ctx.now()
        if not jobs.still_ours(db, job):
            log.warning("lease lost; result not recorded", extra={"job_id": job["id"]})
            return op, None
        if done.state is not None:
            fields: dict[str, Any] = {"last_error": None}
            fields["result"] = (
                done.result
                if job["kind"] in ("run", "read")
                else {**(op.get("result") or {}), **done.result}
            )
            if done.server_id:
                fields["server_id"] = done.server_id
            if done.build:
                fields["build_ready_at"] = now + settings.build_min_seconds
            ops.transition(db, op, done.state, now=now, reason=done.reason, **fields)
            if done.service:
                ops.update_service(db, op["panel"], op["service_id"], now=now, **done.service)
            if done.state == ops.WRITEBACK:
                jobs.enqueue(db, op, "writeback", now=now, max_attempts=settings.job_max_attempts)
            for kind, delay, payload in done.followups:
                jobs.enqueue(
                    db,
                    op,
                    kind,
                    now=now,
                    max_attempts=settings.job_max_attempts,
                    delay=delay,
                    payload=payload,
                )
        jobs.finish(db, job, now=now)
        # What the client area shows of this server is stale now: the next read asks Otwa.
        readcache.forget(db, *readcache.server_keys(done.server_id or op.get("server_id")))
        if done.crash_before_commit:
            crashpoints.hit(done.crash_before_commit)
    return op, done.reply


def _is_read(ctx: Context) -> bool:
    return bool(ctx.job["kind"] == "read")


def _transient(ctx: Context, exc: Transient) -> dict[str, Any]:
    db, op, job = ctx.db, ctx.op, ctx.job
    settings = ctx.bridge.settings
    # A lost failed-attempt record leaves the job leased until its lease passes, and it is
    # tried again then: not worth an fsync.
    with store.write(db, durable=False):
        now = ctx.now()
        if _is_read(ctx):
            if jobs.finish(db, job, now=now):
                ops.transition(
                    db,
                    op,
                    ops.FAILED,
                    now=now,
                    reason=exc.reason,
                    error_code="otwa_unavailable",
                    error_status=503,
                    error_message=f"Otwa is not answering right now ({exc.reason}); try again.",
                    last_error=exc.reason,
                )
            return op
        state = jobs.retry(
            db,
            job,
            exc.reason,
            now=now,
            base=settings.job_backoff_base,
            cap=settings.job_backoff_cap,
            at_least=exc.retry_after,
        )
        if state == jobs.LEASED:  # lease lost: the new owner decides
            return op
        log.info(
            "attempt %s of job %s failed: %s",
            job["attempts"],
            job["id"],
            exc.reason,
            extra={
                "operation_id": op["id"],
                "job_id": job["id"],
                "kind": job["kind"],
                "request_id": op.get("request_id"),
                "will_retry": state == jobs.READY,
            },
        )
        if job["kind"] == "notify":
            return op
        ops.note_trouble(db, op, exc.reason, now=now)
        if state == jobs.DEAD:
            message = (
                f"Gave up after {job['attempts']} attempts; last trouble: {exc.reason}. "
                f"Retry with `otwa-bridge ops retry {op['id']}`."
            )
            ops.transition(
                db,
                op,
                ops.DEAD,
                now=now,
                reason=exc.reason,
                error_code="gave_up",
                error_status=503,
                error_message=message,
            )
            queue_notice(ctx.bridge, db, op, "gave_up", message)
    return op


def _refuse(ctx: Context, exc: Refusal) -> dict[str, Any]:
    db, op, job = ctx.db, ctx.op, ctx.job
    with store.write(db):
        now = ctx.now()
        if not jobs.finish(db, job, now=now):
            return op
        if job["kind"] == "notify":
            log.warning("admin notification refused by the panel: %s", exc.message)
            return op
        params = dict(op["params"])
        if exc.nothing_created and job["kind"] == "run":
            params["nothing_created"] = True
        ops.transition(
            db,
            op,
            ops.FAILED,
            now=now,
            reason=exc.code,
            error_code=exc.code,
            error_status=exc.status,
            error_message=exc.message,
            params=params,
        )
        if op["action"] == "create" and job["kind"] == "run":
            ops.update_service(db, op["panel"], op["service_id"], now=now, state="failed")
        if op["action"] == "adopt" and job["kind"] == "run":
            _unlink(db, op, now)
        if not ctx.inline:
            queue_notice(ctx.bridge, db, op, exc.code, exc.message)
    return op


def _unlink(db: sqlite_utils.Database, op: dict[str, Any], now: float) -> None:
    """Undo the link an adopt made at record time, when its server turned out missing."""
    service = ops.get_service(db, op["panel"], op["service_id"])
    if service is None or service.get("server_id") != op["params"].get("server_id"):
        return  # linked to something else since: not ours to undo
    previous = op["params"].get("previous")
    if previous:
        ops.update_service(db, op["panel"], op["service_id"], now=now, **previous)
    else:
        ops.update_service(
            db, op["panel"], op["service_id"], now=now, state="terminated", server_id=None
        )


def queue_notice(
    bridge: Bridge,
    db: sqlite_utils.Database,
    op: dict[str, Any],
    code: str,
    message: str,
) -> None:
    """Queue the admin notice for ``op`` failing for good (caller's write transaction)."""
    jobs.enqueue(
        db,
        op,
        "notify",
        now=bridge.clock.now(),
        max_attempts=bridge.settings.job_max_attempts,
        payload=writeback.failure_notice(op, code, message),
    )


_CLAIM_HERE: Any = object()


def _lease_seconds(bridge: Bridge) -> float:
    # Room for a catalog lookup plus the call itself; a killed hook process hands the job
    # to the worker once this passes.
    return 2 * bridge.settings.inline_deadline + 2.0


def claim_inline(
    db: sqlite_utils.Database, bridge: Bridge, operation_id: str
) -> dict[str, Any] | None:
    """Lease the operation's ``run``/``read`` job for the hook's inline attempt, inside the
    caller's write transaction; returns the leased job, or None when it is not ours to try.

    The hook calls this in its record transaction, so one durable commit covers the
    operation, its job, the lease and, for keyed actions, the replay-window start
    (``first_sent_at``, set before the request may leave; setting it early only makes a
    retry past Otwa's window look for the server by label first). A job the hook cannot
    take (an older ``run`` job of the service first, or a worker's lease) loses its
    ``INLINE_HOLD_SECONDS`` hold: nobody is trying it inline.
    """
    job = jobs.open_job(db, operation_id, ("run", "read"))
    if job is None:
        return None
    now = bridge.clock.now()
    owner = jobs.owner_id("inline")
    claimed = jobs.claim(db, owner, _lease_seconds(bridge), now=now, job_id=job["id"])
    if claimed is None:
        if not job["attempts"]:
            jobs.hand_over(db, job["id"], now=now)
        return None
    ops.mark_inline(db, operation_id, now=now)
    return claimed


# Work whose inline attempt is pointless while the budget is spent: it would only fail to
# get a slot and be queued. Creates are the launch-day burst.
_QUEUE_WHILE_SPENT = ("create",)
SPENT_REASON = "the shared Otwa request budget is used up for now"


def queue_while_spent(
    db: sqlite_utils.Database, bridge: Bridge, command: Command, operation_id: str
) -> Outcome | None:
    """Inside the hook's record transaction, for a create: return the reply (202, queued)
    instead of trying it inline when

    * this process knows Otwa's budget has no background slot before some time T
      (``Budget.spent_until``, no database round trip): the job is due at T; or
    * earlier orders are due and waiting for the worker (a burst's backlog): the job is due
      now, behind them. Trying it inline would take a slot ahead of orders that came first,
      and hold the hook while the worker spends the window.

    Otherwise None, and the hook tries the work inline as usual."""
    if command.action not in _QUEUE_WHILE_SPENT:
        return None
    api_key = bridge.settings.otwa_api_key.get_secret_value()
    now = bridge.clock.now()
    until = bridge.budget.spent_until(api_key, priority="background")
    reason: str | None = SPENT_REASON
    if until is None:
        if not jobs.run_due(db, now=now, other_than=operation_id):
            return None
        until, reason = now, None  # not trouble: just not first in line
    op = ops.get(db, operation_id)
    if op is None or op["state"] != ops.QUEUED:
        return None  # e.g. a retried create answered from its existing operation
    job = jobs.open_job(db, operation_id, ("run",))
    if job is None or job["state"] != jobs.READY or job["attempts"]:
        return None
    jobs.postpone(db, job["id"], until=until)
    if reason is not None:
        ops.note_trouble(db, op, reason, now=now)
    return ops.render(op)


def run_inline(bridge: Bridge, operation_id: str, claimed: Any = _CLAIM_HERE) -> Outcome:
    """Try the operation's Otwa call now, within ``INLINE_DEADLINE``; see the package doc.

    ``claimed``: what :func:`claim_inline` returned in the caller's (committed) record
    transaction; omitted, the claim is made here in its own transaction. Uses this
    thread's connection (``store.thread_db``).
    """
    db = bridge.db()
    if claimed is _CLAIM_HERE:
        with store.write(db):
            claimed = claim_inline(db, bridge, operation_id)
    if claimed is None:
        return outcome_of(db, operation_id)
    try:
        op, reply = execute(
            bridge, db, claimed, inline=True, deadline=bridge.settings.inline_deadline
        )
    except Exception:
        _release_quietly(bridge, db, claimed)
        raise
    if op is None:
        return outcome_of(db, operation_id)
    return ops.render(op, reply)


def _release_quietly(bridge: Bridge, db: sqlite_utils.Database, job: dict[str, Any]) -> None:
    """Hand a job whose inline attempt broke (a database error, a bug) to the worker now,
    not when the inline lease runs out. No fsync: if the release is lost, the lease
    simply runs out as before; the redo is idempotent like any retry."""
    try:
        with store.write(db, durable=False):
            jobs.release(db, job, now=bridge.clock.now())
    except Exception:  # noqa: BLE001 - the lease expiring is the fallback
        log.exception("could not release the inline lease", extra={"job_id": job["id"]})


def outcome_of(db: sqlite_utils.Database, operation_id: str) -> Outcome:
    """The operation's current state as the hook reply."""
    op = ops.get(db, operation_id)
    if op is None:
        return Outcome(404, error_body("not_found", "No such operation."))
    return ops.render(op)
