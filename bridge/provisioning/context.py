"""What an action runs with: settings, its own db connection, the operation, Otwa clients,
the products map and the panel's write-back config. Built per job by the runner.

Otwa clients are made once per process and key (the shared budget lives in a file, so
every process still draws from the same 90/min) and copied per call with the request id
and priority of the operation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlite_utils

from bridge.catalog import Catalog
from bridge.otwa import OtwaClient
from bridge.panels import PanelConfig, load_panels

T = TypeVar("T")

_clients: dict[tuple[Any, ...], OtwaClient] = {}
_lock = threading.Lock()
_parsed: dict[tuple[str, int], tuple[Any, Any]] = {}
_NO_TOML: Mapping[str, Any] = {}

INTERACTIVE_ACTIONS = ("sso", "status")


def base_client(settings: Mapping[str, Any], *, destroy: bool = False) -> OtwaClient:
    """The process's client for the everyday (or the destroy) key."""
    # Every OTWA_* setting is part of the key: one process may serve several configs (tests).
    cache_key = (
        destroy,
        *sorted((k, repr(v)) for k, v in settings.items() if k.startswith("OTWA_")),
    )
    with _lock:
        client = _clients.get(cache_key)
        if client is None:
            client = OtwaClient.from_settings(settings, destroy=destroy)
            _clients[cache_key] = client
        return client


def _once(what: str, settings: Mapping[str, Any], parse: Callable[[Mapping[str, Any]], T]) -> T:
    """``parse(settings["TOML"])``, once per process and TOML object: settings are loaded
    once per process, so the hook path and every job share one parse."""
    toml = settings.get("TOML") or _NO_TOML
    with _lock:
        hit = _parsed.get((what, id(toml)))
    if hit is not None and hit[0] is toml:  # the identity check guards against id reuse
        return hit[1]  # type: ignore[no-any-return]
    value = parse(toml)
    with _lock:
        _parsed[(what, id(toml))] = (toml, value)
    return value


def catalog(settings: Mapping[str, Any]) -> Catalog:
    """The products map of the settings' TOML, parsed once.

    Raises bridge.catalog.CatalogConfigError when the map is malformed."""
    return _once("catalog", settings, Catalog.from_toml)


def panels(settings: Mapping[str, Any]) -> dict[str, PanelConfig]:
    """Every configured panel, secrets read from the environment once per process.

    Raises bridge.panels.PanelConfigError when the config (or its environment) is wrong."""
    return _once("panels", settings, lambda toml: load_panels(toml, os.environ))


def panel_config(settings: Mapping[str, Any], panel: str) -> PanelConfig | None:
    """The panel's PanelConfig (api_url, credentials, notify_admins), or None."""
    return panels(settings).get(panel)


@dataclass
class Context:
    """One job's run. ``inline``: called from the hook (short deadline, no retries)."""

    settings: Mapping[str, Any]
    db: sqlite_utils.Database
    op: dict[str, Any]
    service: dict[str, Any] | None
    job: dict[str, Any]
    inline: bool = False
    deadline: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def client(self, *, destroy: bool = False, priority: str | None = None) -> OtwaClient:
        """A client for this operation: its request id, its priority, and (inline) the
        hook's deadline with no client-side retries and no waiting for the budget."""
        if priority is None:
            priority = "interactive" if self.op["action"] in INTERACTIVE_ACTIONS else "background"
        options: dict[str, Any] = {"priority": priority}
        if self.op.get("request_id"):
            options["request_id"] = self.op["request_id"]
        if self.inline:
            deadline = self.deadline or self.settings["INLINE_DEADLINE"]
            options.update(max_retries=0, budget_wait=0.0, timeout=deadline)
        else:
            # The job queue retries with backoff; one try per claim keeps a job well inside
            # its lease. A short wait for a budget slot is fine in the background.
            lease = self.settings["JOB_LEASE_SECONDS"]
            options.update(max_retries=0, budget_wait=min(30.0, lease / 4))
        return base_client(self.settings, destroy=destroy).with_options(**options)

    @property
    def server_id(self) -> str | None:
        return self.op.get("server_id") or (self.service or {}).get("server_id")
