"""Otwa's plan list, fetched at most once per ``ttl`` and shared by every job of a process.

An order needs the plan's id and add-on ids, which only ``GET /products`` gives; asking
once per order would spend a rate-limit slot per order on an answer that rarely changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bridge.otwa import models
from bridge.otwa.client import OtwaClient

DEFAULT_TTL = 300.0


class PlanCache:
    """``GET /products`` remembered for ``ttl`` seconds of ``monotonic`` time."""

    def __init__(
        self,
        client: OtwaClient,
        *,
        monotonic: Callable[[], float],
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self.ttl = ttl
        self._lock = threading.Lock()
        self._plans: list[models.Product] | None = None
        self._fetched_at = 0.0

    def plans(self, client: OtwaClient | None = None) -> list[models.Product]:
        """The plans; fetched through ``client`` (default: the cache's own) when stale."""
        with self._lock:
            if self._plans is not None and self._monotonic() - self._fetched_at < self.ttl:
                return self._plans
        plans = (client or self._client).products()
        with self._lock:
            self._plans, self._fetched_at = plans, self._monotonic()
        return plans

    def find(self, plan: str, client: OtwaClient | None = None) -> models.Product | None:
        """The plan whose id is ``plan``, or whose name is ``plan`` (any case); None if none."""
        for product in self.plans(client):
            if plan == product.id or plan.lower() == str(product.name).lower():
                return product
        return None

    def forget(self) -> None:
        """Fetch afresh on the next use."""
        with self._lock:
            self._plans = None
