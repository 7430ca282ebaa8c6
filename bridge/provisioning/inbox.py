"""Remembered hooks (``webhook_events``): dedupe by ``(panel, webhook-id)``, the first reply
kept for replays, and pruning after ``HOOK_DEDUPE_SECONDS``.

:func:`accept` is the hook's one durable commit: the hook row, the operation and its job
(:func:`~bridge.provisioning.intake.record`) and the inline attempt's lease, together. The
web layer holds no SQL: it calls :func:`find`, :func:`accept` and :func:`keep_reply`, and
:func:`remember_answer` for actions answered at once, and :func:`book_answer` for those
whose answer books money (their bookings and the hook row in one durable commit).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bridge import store
from bridge.commands import Command, Outcome
from bridge.errors import error_body
from bridge.provisioning import intake, runner
from bridge.runtime import Bridge

log = logging.getLogger("bridge.provisioning.inbox")


@dataclass(frozen=True)
class Remembered:
    """A hook seen before: its body's digest, its operation, its stored reply (if any)."""

    webhook_id: str
    body_sha256: str | None
    operation_id: str | None
    status: int | None
    reply: str | None


@dataclass(frozen=True)
class Accepted:
    """A new hook, recorded: its operation and either the job leased for the inline
    attempt (``claimed``), or, when the work could only be queued, the reply already kept
    for replays (``reply``: nothing is left to try inline)."""

    operation_id: str
    claimed: dict[str, Any] | None
    reply: Outcome | None = None


def find(db: sqlite_utils.Database, panel: str, webhook_id: str) -> Remembered | None:
    """The remembered hook ``(panel, webhook_id)``, or None."""
    row = db.execute(
        "SELECT webhook_id, body_sha256, operation_id, status, reply FROM webhook_events"
        " WHERE panel = ? AND webhook_id = ?",
        [panel, webhook_id],
    ).fetchone()
    return Remembered(*row) if row else None


def accept(
    bridge: Bridge,
    db: sqlite_utils.Database,
    command: Command,
    *,
    digest: str,
    request_id: str,
    render: Callable[[Outcome], Outcome] = lambda outcome: outcome,
) -> Accepted | Remembered:
    """Record a verified hook's command in ONE durable transaction: the hook row, the
    operation and its job, and the inline lease. A concurrent delivery of the same
    webhook-id that won the race is returned instead (answer it as a replay).

    When Otwa's budget is known to be spent (a burst), a create is not tried inline: its
    job is due when a slot frees, and its reply (``render``-ed for the panel) is kept in
    the same transaction, so the hook costs one write transaction in all."""
    with store.write(db):
        seen = find(db, command.panel, command.webhook_id)
        if seen is not None:
            return seen
        operation_id = intake.record(db, command, bridge)
        queued = runner.queue_while_spent(db, bridge, command, operation_id)
        if queued is not None:
            reply = render(queued)
            _remember(
                bridge, db, command, reply, digest=digest, request_id=request_id, op=operation_id
            )
            return Accepted(operation_id, None, reply)
        _remember(bridge, db, command, None, digest=digest, request_id=request_id, op=operation_id)
        claimed = runner.claim_inline(db, bridge, operation_id)
    return Accepted(operation_id, claimed)


def remember_answer(
    bridge: Bridge,
    db: sqlite_utils.Database,
    command: Command,
    outcome: Outcome,
    *,
    digest: str,
    request_id: str,
) -> Remembered | None:
    """Remember a hook answered at once (no operation): its reply as replays will get it.
    Returns the earlier delivery when a concurrent one of the same webhook-id won."""
    # No fsync: nothing was done, so a lost row only means a replay is answered afresh.
    with store.write(db, durable=False):
        seen = find(db, command.panel, command.webhook_id)
        if seen is not None:
            return seen
        _remember(bridge, db, command, outcome, digest=digest, request_id=request_id)
    return None


def book_answer(
    bridge: Bridge,
    db: sqlite_utils.Database,
    command: Command,
    produce: Callable[[], Outcome],
    *,
    digest: str,
    request_id: str,
) -> Outcome | Remembered:
    """Answer a hook whose work is money (the ledger's bookings, no Otwa call): the
    bookings ``produce()`` makes and the remembered reply commit in ONE durable
    transaction. So a replay never books again, a booking is never lost behind a 2xx, and
    a ``produce`` that raises rolls everything back: nothing booked, nothing remembered.
    Returns the reply, or the earlier delivery when one of the same ``webhook-id`` won the
    race (answer it as a replay)."""
    with store.write(db):
        seen = find(db, command.panel, command.webhook_id)
        if seen is not None:
            return seen
        outcome = produce()  # joins this transaction: no HTTP in it
        _remember(bridge, db, command, outcome, digest=digest, request_id=request_id)
    return outcome


def _remember(
    bridge: Bridge,
    db: sqlite_utils.Database,
    command: Command,
    outcome: Outcome | None,
    *,
    digest: str,
    request_id: str,
    op: str | None = None,
) -> None:
    """The hook's row (caller's transaction): its operation ``op`` if any, and the reply
    replays get (``outcome`` as :func:`kept_for_replay` keeps it; None while the work is
    still to be tried, :func:`keep_reply` fills it in then)."""
    kept = kept_for_replay(command.action, outcome) if outcome is not None else None
    now = bridge.clock.now()
    # Plain SQL: sqlite-utils' insert() looks the table up in sqlite_master first.
    db.execute(
        "INSERT INTO webhook_events (panel, webhook_id, received_at, action, service_id,"
        " body_sha256, request_id, operation_id, status, reply, replied_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            command.panel,
            command.webhook_id,
            now,
            command.action,
            command.service_id,
            digest,
            request_id,
            op,
            kept.status if kept else None,
            encode(kept).decode() if kept else None,
            now if kept else None,
        ],
    )


# Actions whose successful reply is a live credential: never kept, a replay is refused.
# sso: Otwa's one-time login URL; sso_link: the bridge's own link (a bearer token).
SECRET_REPLIES = ("sso", "sso_link")


def kept_for_replay(action: str, outcome: Outcome) -> Outcome:
    """The reply stored for replays. A successful ``sso`` or ``sso_link`` reply carries a
    login link, a bearer credential that must not rest in the database (and would be spent
    on replay anyway), so its replay is a clear refusal instead of the link. So is a
    ``reset_password`` reply that revealed the new password (``params.reveal``)."""
    if action == "reset_password" and (outcome.body.get("result") or {}).get("password"):
        return Outcome(
            410,
            error_body(
                "password_already_shown",
                "This hook's new password was shown once and is not kept; it is also in the "
                "service's password in the panel (written back). Send a new reset_password "
                "hook (a new webhook-id) to set another one.",
            ),
        )
    if action not in SECRET_REPLIES or not outcome.body.get("ok"):
        return outcome
    return Outcome(
        410,
        error_body(
            "sso_link_already_issued",
            "This hook's one-time login link was already handed out. Send a new "
            f"{action} hook (a new webhook-id) for a fresh link.",
        ),
    )


def encode(outcome: Outcome) -> bytes:
    """The reply body as sent (compact, sorted keys)."""
    return json.dumps(outcome.body, separators=(",", ":"), sort_keys=True).encode()


def keep_reply(
    bridge: Bridge, db: sqlite_utils.Database, command: Command, outcome: Outcome
) -> None:
    """Store the reply a replay of the hook will get (see :func:`kept_for_replay`)."""
    kept = kept_for_replay(command.action, outcome)
    # No fsync: if a power cut loses it, a replay of this webhook-id is answered from the
    # operation's state (outcome_of), as for a crash before this.
    with store.write(db, durable=False):
        db.execute(
            "UPDATE webhook_events SET status = ?, reply = ?, replied_at = ? "
            "WHERE panel = ? AND webhook_id = ?",
            [
                kept.status,
                encode(kept).decode(),
                bridge.clock.now(),
                command.panel,
                command.webhook_id,
            ],
        )


def prune(db: sqlite_utils.Database, *, before: float) -> int:
    """Forget hooks received before ``before`` (epoch s); the number forgotten."""
    # No fsync: rows a power cut brings back are pruned again next time.
    with store.write(db, durable=False):
        cur = db.execute("DELETE FROM webhook_events WHERE received_at < ?", [before])
    if cur.rowcount:
        log.info("pruned remembered hooks", extra={"count": cur.rowcount})
    return int(cur.rowcount)
