"""Provisioning: panel commands become Otwa servers exactly once.

The interface the hook view calls (docs/provisioning.md):

* :func:`record` ``(db, command, settings) -> operation id`` — inside the caller's open write
  transaction; records the operation, its job (and the service row); no HTTP. A second
  create for the same panel + service + generation returns the existing id. Refusals known
  without Otwa raise :class:`bridge.errors.BridgeError` (501 invoice_paid, 404 no_server,
  409 service_suspended, 422 plan_change_unsupported / products-map errors).
* :func:`claim_inline` ``(db, settings, operation_id) -> job | None`` — inside the same write
  transaction as :func:`record`: leases the job for the inline attempt (and commits the
  replay-window start with it), so the hook's one durable commit covers everything.
* :func:`run_inline` ``(settings, operation_id[, claimed]) -> Outcome`` — tries the Otwa call
  of the claimed job (claiming it itself when ``claimed`` is omitted) within
  ``INLINE_DEADLINE``; transient trouble leaves it queued (202).
* :func:`outcome_of` ``(db, operation_id) -> Outcome`` — the current state as the reply.
"""

from __future__ import annotations

from bridge.provisioning.commands import ACTIONS, Command, Outcome
from bridge.provisioning.intake import record, reopen
from bridge.provisioning.runner import claim_inline, outcome_of, run_inline

__all__ = [
    "ACTIONS",
    "Command",
    "Outcome",
    "claim_inline",
    "record",
    "reopen",
    "run_inline",
    "outcome_of",
]
