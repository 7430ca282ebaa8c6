"""Provisioning: panel commands become Otwa servers exactly once.

The interface the hook view calls (docs/provisioning.md), every function taking the
process's :class:`~bridge.runtime.Bridge`:

* :func:`inbox.find` / :func:`inbox.accept` / :func:`inbox.keep_reply` — the hook's
  dedupe, its one durable commit (hook row + operation + job + inline lease), and the
  reply kept for replays.
* :func:`record` ``(db, command, bridge) -> operation id`` — inside the caller's open write
  transaction; records the operation, its job (and the service row); no HTTP. A second
  create for the same panel + service + generation returns the existing id. Refusals known
  without Otwa raise :class:`bridge.errors.BridgeError` (404 no_server,
  409 service_suspended, 422 plan_change_unsupported / products-map errors).
* :func:`claim_inline` ``(db, bridge, operation_id) -> job | None`` — inside the same write
  transaction as :func:`record`: leases the job for the inline attempt.
* :func:`run_inline` ``(bridge, operation_id[, claimed]) -> Outcome`` — tries the Otwa call
  of the claimed job within ``INLINE_DEADLINE``; transient trouble leaves it queued (202).
* :func:`outcome_of` ``(db, operation_id) -> Outcome`` — the current state as the reply.
"""

from __future__ import annotations

from bridge.commands import ACTIONS, Command, Outcome
from bridge.provisioning import inbox
from bridge.provisioning.intake import record, reopen
from bridge.provisioning.runner import claim_inline, outcome_of, run_inline

__all__ = [
    "ACTIONS",
    "Command",
    "Outcome",
    "claim_inline",
    "inbox",
    "outcome_of",
    "record",
    "reopen",
    "run_inline",
]
