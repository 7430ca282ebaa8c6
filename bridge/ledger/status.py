"""The ledger at a glance: the numbers the metrics, the admin page and ``ledger runway``
show — the wallet's best-known balance, its drift against Otwa's samples, the runway and
whether it calls for the alert. Read-only, a few indexed queries; no clock, no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bridge.ledger.money import format_minor
from bridge.ledger.periods import iso
from bridge.ledger.reconcile import wallet_drift
from bridge.ledger.runway import Runway, runway_from_journal
from bridge.ledger.wallet import Sample, latest_sample


@dataclass(frozen=True)
class Status:
    """One currency's wallet: ``drift`` None with fewer than two samples; ``runway`` from
    the last sample plus what was booked since."""

    currency: str
    last_sample: Sample | None
    drift: int | None
    runway: Runway
    alert_days: int

    @property
    def alert(self) -> bool:
        """True when a renewal within ``alert_days`` will fail (0 days: never)."""
        return self.alert_days > 0 and self.runway.alert(self.alert_days)

    def to_dict(self, topup_days: int = 30) -> dict[str, Any]:
        """JSON-ready, decimal strings."""
        c = self.currency
        s = self.last_sample
        return {
            "currency": c,
            "last_sample": None
            if s is None
            else {"balance": format_minor(s.balance, c), "at": iso(s.sampled_at)},
            "drift": None if self.drift is None else format_minor(self.drift, c),
            "runway": self.runway.to_dict(topup_days),
            "alert_days": self.alert_days,
            "alert": self.alert,
        }


def status(db: sqlite_utils.Database, currency: str, *, now: float, alert_days: int) -> Status:
    """The wallet's status in ``currency`` at ``now``."""
    return Status(
        currency=currency,
        last_sample=latest_sample(db, currency),
        drift=wallet_drift(db, currency),
        runway=runway_from_journal(db, currency, now=now),
        alert_days=alert_days,
    )
