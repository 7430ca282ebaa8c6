"""What an action runs with: the Bridge, its own db connection, the operation, its job.
Built per job by the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from bridge.otwa import OtwaClient
from bridge.otwa.budget import Priority
from bridge.runtime import Bridge

# Calls a customer or an admin waits for: ahead of background work in the shared budget.
# (The reads answered at once, status and usage, use bridge.provisioning.reads.client.)
INTERACTIVE_ACTIONS = ("sso", "adopt")


@dataclass
class Context:
    """One job's run. ``inline``: called from the hook (short deadline, no retries)."""

    bridge: Bridge
    db: sqlite_utils.Database
    op: dict[str, Any]
    service: dict[str, Any] | None
    job: dict[str, Any]
    inline: bool = False
    deadline: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> float:
        """The Bridge's clock."""
        return self.bridge.clock.now()

    def client(self, *, destroy: bool = False, priority: Priority | None = None) -> OtwaClient:
        """A client for this operation: its request id, its priority, and (inline) the
        hook's deadline with no client-side retries and no waiting for the budget."""
        if priority is None:
            interactive = self.op["action"] in INTERACTIVE_ACTIONS
            priority = "interactive" if interactive else "background"
        settings = self.bridge.settings
        base = self.bridge.client(destroy=destroy)
        request_id = self.op.get("request_id") or None
        if self.inline:
            deadline = self.deadline or settings.inline_deadline
            return base.with_options(
                priority=priority,
                request_id=request_id,
                max_retries=0,
                budget_wait=0.0,
                timeout=deadline,
            )
        # The job queue retries with backoff; one try per claim keeps a job well inside its
        # lease. A short wait for a budget slot is fine in the background.
        return base.with_options(
            priority=priority,
            request_id=request_id,
            max_retries=0,
            budget_wait=min(30.0, settings.job_lease_seconds / 4),
        )

    @property
    def server_id(self) -> str | None:
        return self.op.get("server_id") or (self.service or {}).get("server_id")
